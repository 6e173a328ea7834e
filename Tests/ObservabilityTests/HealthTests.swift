import Foundation
import Testing
@testable import Observability
@testable import Sync

@Suite struct HealthTests {
    @Test func healthzFollowsTheOldestQueuedChange() {
        let clock = TestClock()
        let h = ProxyHealth(healthTimeout: 60, clock: clock)
        var s = SyncStatus()
        s.sourceSynced = true
        h.statusChanged(s)
        #expect(h.healthz().code == 200)                        // nothing queued
        s.oldestPendingQueuedTime = clock.now()
        h.statusChanged(s)
        clock.advance(59.9)
        #expect(h.healthz().code == 200 && h.livez().code == 200)
        clock.advance(0.1)
        #expect(h.healthz().code == 503 && h.livez().code == 503 && !h.proxyHealthy)
        s.oldestPendingQueuedTime = nil
        s.lastSyncTime = clock.now()
        h.statusChanged(s)
        #expect(h.healthz().code == 200)
    }

    @Test func startingUpIsHealthyUntilTheSourceIsSynced() {
        let clock = TestClock()
        let h = ProxyHealth(healthTimeout: 10, clock: clock)
        var s = SyncStatus()
        s.oldestPendingQueuedTime = clock.now()
        h.statusChanged(s)
        clock.advance(100)
        #expect(h.healthz().code == 200)
        s.sourceSynced = true
        h.statusChanged(s)
        #expect(h.healthz().code == 503)
    }

    @Test func nodeEligibilityAffectsHealthzOnly() {
        let clock = TestClock()
        let h = ProxyHealth(healthTimeout: 10, clock: clock)
        h.setNodeEligible(false)
        #expect(h.healthz().code == 503 && h.livez().code == 200)
        #expect(h.healthz().body.hasSuffix(", \"nodeEligible\": false}"))
        h.setNodeEligible(true)
        #expect(h.healthz().code == 200)
    }

    @Test func bodiesMatchKubeProxy() {
        let clock = TestClock(Date(timeIntervalSince1970: 1_700_000_000.25))
        let h = ProxyHealth(healthTimeout: 10, clock: clock)
        #expect(h.healthz().body ==
                #"{"lastUpdated": "2023-11-14 22:13:20.25 +0000 UTC","currentTime": "2023-11-14 22:13:20.25 +0000 UTC", "nodeEligible": true}"#)
        var s = SyncStatus()
        s.sourceSynced = true
        s.lastSyncTime = Date(timeIntervalSince1970: 1_699_999_000)
        s.oldestPendingQueuedTime = Date(timeIntervalSince1970: 1_699_999_500)
        h.statusChanged(s)
        #expect(h.livez().body == #"{"lastUpdated": "2023-11-14 21:56:40 +0000 UTC","currentTime": "2023-11-14 22:13:20.25 +0000 UTC"}"#)
        #expect(GoTime.string(nil) == "0001-01-01 00:00:00 +0000 UTC")
    }
}
