// libnftables (Debian: libnftables-dev) plus the few libc calls Swift's Glibc module hides
// behind _GNU_SOURCE. Used by ApplyNftables only.
#ifndef SWITCHYARD_CNFTABLES_SHIM_H
#define SWITCHYARD_CNFTABLES_SHIM_H

#include <nftables/libnftables.h>
#include <sched.h>
#include <sys/socket.h>
#include <linux/netlink.h>

/// setns(2): move the calling thread into the namespace `fd` refers to.
extern int setns(int fd, int nstype);

/// CLONE_NEWNET, as a function (the macro may be hidden without _GNU_SOURCE).
static inline int switchyard_clone_newnet(void) { return 0x40000000; }

#endif
