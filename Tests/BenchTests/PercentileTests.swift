import Testing
@testable import Bench

@Suite struct PercentileTests {
    @Test func nearestRankOverUnsortedSamples() {
        let samples = (1...100).map(Double.init).shuffled()
        #expect(Percentile.of(samples, 50) == 50)
        #expect(Percentile.of(samples, 99) == 99)
        #expect(Percentile.of(samples, 100) == 100)
        #expect(Percentile.of(samples, 1) == 1)
    }

    @Test func fewSamplesGiveMaximumAtP99() {
        #expect(Percentile.of([3, 1, 2], 99) == 3)
        #expect(Percentile.of([3, 1, 2], 50) == 2)
        #expect(Percentile.of([7], 50) == 7)
    }

    @Test func emptyOrBadPercentileIsNil() {
        #expect(Percentile.of([], 50) == nil)
        #expect(Percentile.of([1, 2], 0) == nil)
        #expect(Percentile.of([1, 2], 101) == nil)
    }
}
