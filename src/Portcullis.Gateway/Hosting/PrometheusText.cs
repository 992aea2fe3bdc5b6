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
    private readonly ConcurrentDictionary<TagValues, string> _labels = new();
    private readonly Lock _collect = new();

    /// <param name="meters">The gateway's meter factory: only its own meter is served, not another gateway's in the same process.</param>
    public PrometheusText(IMeterFactory meters)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == GatewayTelemetry.Name && ReferenceEquals(instrument.Meter.Scope, meters))
            {
                var name = Name(instrument);
                _types[name] = instrument switch
                {
                    Histogram<double> => "histogram",
                    ObservableGauge<int> or ObservableGauge<long> => "gauge",
                    _ => "counter",
                };
                listener.EnableMeasurementEvents(instrument, name);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, name) => Add(instrument, (string)name!, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, name) => Add(instrument, (string)name!, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, name) => Add(instrument, (string)name!, value, tags));
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

    /// <remarks>Runs for every measurement (several per governed call): the name and label text are made once, not per call.</remarks>
    private void Add(Instrument instrument, string name, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var key = (name, LabelsOf(tags));
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

    private string LabelsOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length > TagValues.Capacity)
        {
            return Labels(tags);
        }

        var values = new TagValues(tags);
        if (!_labels.TryGetValue(values, out var labels))
        {
            labels = Labels(tags);
            _labels.TryAdd(values, labels);
        }

        return labels;
    }

    /// <summary>Up to four tags, compared by key and value: what a set of labels is cached under.</summary>
    private readonly record struct TagValues(string? Key0, object? Value0, string? Key1, object? Value1, string? Key2, object? Value2, string? Key3, object? Value3)
    {
        public const int Capacity = 4;

        public TagValues(ReadOnlySpan<KeyValuePair<string, object?>> tags)
            : this(KeyAt(tags, 0), ValueAt(tags, 0), KeyAt(tags, 1), ValueAt(tags, 1), KeyAt(tags, 2), ValueAt(tags, 2), KeyAt(tags, 3), ValueAt(tags, 3))
        {
        }

        private static string? KeyAt(ReadOnlySpan<KeyValuePair<string, object?>> tags, int index) => index < tags.Length ? tags[index].Key : null;

        private static object? ValueAt(ReadOnlySpan<KeyValuePair<string, object?>> tags, int index) => index < tags.Length ? tags[index].Value : null;
    }

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
