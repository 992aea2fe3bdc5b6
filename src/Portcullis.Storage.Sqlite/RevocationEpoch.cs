using System.IO.MemoryMappedFiles;

namespace Portcullis.Storage.Sqlite;

/// <summary>
/// A counter that every revocation increments, shared by every process that opens the database (the gateway, the
/// CLI) through a small memory-mapped file beside it. A process may keep token records in memory only while the
/// counter still reads what it read before looking them up; reading it costs a memory load, not a query.
/// </summary>
/// <remarks>
/// The store commits a revocation before it increments, and a reader reads the counter before it looks a record up,
/// so a record read before a revocation always carries an older count. The increment is atomic, so the count never
/// goes back to a value a reader has seen. When the file cannot be mapped (a read-only folder, say), nothing may be
/// kept: <see cref="TryRead"/> says so and every check goes to the database.
/// </remarks>
public sealed unsafe class RevocationEpoch : IDisposable
{
    private readonly MemoryMappedFile? _file;
    private readonly MemoryMappedViewAccessor? _view;
    private long* _counter;

    /// <summary>Maps the counter file of the database at <paramref name="databasePath"/>, creating it when absent.</summary>
    public RevocationEpoch(string databasePath)
    {
        try
        {
            _file = MemoryMappedFile.CreateFromFile(databasePath + "-revocations", FileMode.OpenOrCreate, mapName: null, capacity: sizeof(long), MemoryMappedFileAccess.ReadWrite);
            _view = _file.CreateViewAccessor(0, sizeof(long), MemoryMappedFileAccess.ReadWrite);
            byte* start = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            _counter = (long*)(start + _view.PointerOffset);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _view?.Dispose();
            _file?.Dispose();
            _view = null;
            _file = null;
        }
    }

    /// <summary>Reads the counter; false when it is not available, and then nothing may be kept.</summary>
    public bool TryRead(out long value)
    {
        if (_counter is null)
        {
            value = 0;
            return false;
        }

        value = Volatile.Read(ref *_counter);
        return true;
    }

    /// <summary>Tells every process that a record changed; call after the change is committed.</summary>
    public void Advance()
    {
        if (_counter is not null)
        {
            Interlocked.Increment(ref *_counter);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_counter is not null)
        {
            _counter = null;
            _view!.SafeMemoryMappedViewHandle.ReleasePointer();
        }

        _view?.Dispose();
        _file?.Dispose();
    }
}
