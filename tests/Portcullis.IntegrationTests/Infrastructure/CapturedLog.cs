using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Portcullis.IntegrationTests.Infrastructure;

/// <summary>Keeps every log line the gateway writes, with its category.</summary>
internal sealed class CapturedLog : ILoggerProvider
{
    private CapturedLog? _target;
    private readonly ConcurrentQueue<string> _lines = new();

    public IEnumerable<string> Lines => (_target ?? this)._lines;

    public void Attach(CapturedLog source) => _target = source;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLog owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)}");
    }
}
