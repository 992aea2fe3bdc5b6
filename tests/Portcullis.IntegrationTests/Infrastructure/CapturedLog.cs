using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Portcullis.IntegrationTests.Infrastructure;

/// <summary>Keeps every log line the gateway writes, with its category.</summary>
internal sealed class CapturedLog : ILoggerProvider
{
    private CapturedLog? _target;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly SemaphoreSlim _written = new(0);

    public IEnumerable<string> Lines => (_target ?? this)._lines;

    /// <summary>Waits (up to 30 s) until a line containing <paramref name="text"/> has been logged.</summary>
    public async Task WaitForAsync(string text, CancellationToken cancellationToken)
    {
        var owner = _target ?? this;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (!owner._lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
        {
            try
            {
                await owner._written.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"the gateway did not log '{text}' within 30 s; it logged:\n{string.Join('\n', owner._lines.TakeLast(40))}");
            }
        }
    }

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

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            owner._lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)}");
            owner._written.Release();
        }
    }
}
