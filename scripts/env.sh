# Sourced by the scripts: puts Swift on PATH when it lives in /opt/swift.
if ! command -v swift >/dev/null 2>&1; then
  for d in /opt/swift/usr/bin /opt/swift/bin; do
    [ -x "$d/swift" ] && export PATH="$d:$PATH" && break
  done
fi
