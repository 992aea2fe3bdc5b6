using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Portcullis.Telemetry;

namespace Portcullis.Gateway.Hosting;

/// <summary>
/// Serves the <c>Portcullis</c> meter in the Prometheus text format at <c>/metrics</c>. (The OpenTelemetry Prometheus
/// exporter is not available here; this listener aggregates counters, histograms and gauges itself.)
/// </summary>
internal sealed class PrometheusText : IDisposable
{
    private static readonly double[] Bounds = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Name, string Labels), double> _sums = new();
    private readonly ConcurrentDictionary<(string Name, string Labels), Histogram> _histograms = new();
    private readonly ConcurrentDictionary<string, string> _types = new();
    private readonly Lock _collect = new();

    public PrometheusText()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == GatewayTelemetry.Name)
            {
                _types[Name(instrument)] = instrument switch
                {
                    Histogram<double> => "histogram",
                    ObservableGauge<int> or ObservableGauge<long> => "gauge",
                    _ => "counter",
                };
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>The current values, as Prometheus text.</summary>
    public string Render()
    {
        lock (_collect)
        {
            _listener.RecordObservableInstruments();
        }

        var text = new StringBuilder();
        foreach (var (name, type) in _types.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            text.Append("# TYPE ").Append(name).Append(' ').AppendLine(type);
            if (type == "histogram")
            {
                foreach (var ((_, labels), histogram) in _histograms.Where(h => h.Key.Name == name))
                {
                    histogram.Render(text, name, labels);
                }
            }
            else
            {
                foreach (var ((_, labels), value) in _sums.Where(s => s.Key.Name == name))
                {
                    text.Append(name).Append(labels).Append(' ').AppendLine(value.ToString(CultureInfo.InvariantCulture));
                }
            }
        }

        return text.ToString();
    }

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var key = (Name(instrument), Labels(tags));
        switch (instrument)
        {
            case Histogram<double>:
                _histograms.GetOrAdd(key, _ => new Histogram()).Observe(value);
                break;
            case ObservableGauge<int> or ObservableGauge<long> or ObservableCounter<long>:
                _sums[key] = value; // observed totals and levels replace the previous reading
                break;
            default:
                _sums.AddOrUpdate(key, value, (_, sum) => sum + value);
                break;
        }
    }

    private static string Name(Instrument instrument) =>
        instrument.Name.Replace('.', '_') + (instrument.Unit == "ms" ? "_milliseconds" : "") + (instrument is Counter<long> or ObservableCounter<long> ? "_total" : "");

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0)
        {
            return "";
        }

        var parts = new List<string>(tags.Length);
        foreach (var (key, value) in tags)
        {
            parts.Add($"{key}=\"{value?.ToString()?.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
        }

        parts.Sort(StringComparer.Ordinal);
        return "{" + string.Join(',', parts) + "}";
    }

    public void Dispose() => _listener.Dispose();

    private sealed class Histogram
    {
        private readonly long[] _buckets = new long[Bounds.Length];
        private long _count;
        private double _sum;

        public void Observe(double value)
        {
            lock (_buckets)
            {
                for (var i = 0; i < Bounds.Length; i++)
                {
                    if (value <= Bounds[i])
                    {
                        _buckets[i]++;
                    }
                }

                _count++;
                _sum += value;
            }
        }

        public void Render(StringBuilder text, string name, string labels)
        {
            lock (_buckets)
            {
                var inner = labels.Length == 0 ? "" : labels[1..^1] + ",";
                for (var i = 0; i < Bounds.Length; i++)
                {
                    text.Append(name).Append("_bucket{").Append(inner).Append("le=\"").Append(Bounds[i].ToString(CultureInfo.InvariantCulture)).Append("\"} ").AppendLine(_buckets[i].ToString(CultureInfo.InvariantCulture));
                }

                text.Append(name).Append("_bucket{").Append(inner).Append("le=\"+Inf\"} ").AppendLine(_count.ToString(CultureInfo.InvariantCulture));
                text.Append(name).Append("_sum").Append(labels).Append(' ').AppendLine(_sum.ToString(CultureInfo.InvariantCulture));
                text.Append(name).Append("_count").Append(labels).Append(' ').AppendLine(_count.ToString(CultureInfo.InvariantCulture));
            }
        }
    }
}
