using BenchmarkDotNet.Attributes;
using Portcullis.Pipeline;

namespace Portcullis.Benchmarks;

/// <summary>A stage's elapsed time as the audit record shows it, eleven times per governed call. Baseline: the rounded double's shortest text.</summary>
[MemoryDiagnoser]
public class StageTimingBenchmarks
{
    private readonly TimeSpan _elapsed = TimeSpan.FromTicks(1_234);

    [Benchmark(Baseline = true)]
    public string RoundedDouble() => Math.Round(_elapsed.TotalMilliseconds, 3).ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Benchmark]
    public string WholeMicroseconds() => GovernedCallPipeline.Milliseconds(_elapsed);
}
