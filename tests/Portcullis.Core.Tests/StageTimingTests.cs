using Portcullis.Pipeline;

namespace Portcullis.Core.Tests;

/// <summary>The stage timings in audit records: milliseconds to the microsecond, without trailing zeros.</summary>
public class StageTimingTests
{
    [Theory]
    [InlineData(0, "0")]
    [InlineData(4, "0")] // under half a microsecond
    [InlineData(130, "0.013")]
    [InlineData(24_000, "2.4")]
    [InlineData(24_500, "2.45")]
    [InlineData(10_005, "1.001")] // rounded to the nearest microsecond
    [InlineData(120_000, "12")]
    [InlineData(36_000_000_000, "3600000")]
    public void Elapsed_time_reads_as_milliseconds(long ticks, string expected) =>
        Assert.Equal(expected, GovernedCallPipeline.Milliseconds(TimeSpan.FromTicks(ticks)));
}
