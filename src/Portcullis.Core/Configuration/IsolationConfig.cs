namespace Portcullis.Configuration;

/// <summary>
/// What a stdio server's process may reach beyond its declared environment and its own working directory. Limits are
/// set with <c>prlimit</c>; network and filesystem confinement need bubblewrap, and a server that asks for them is
/// refused rather than run unconfined where it is missing.
/// </summary>
public sealed record IsolationConfig
{
    /// <summary>Most writable memory the process may map (RLIMIT_DATA), in bytes.</summary>
    public long? MemoryBytes { get; init; }

    /// <summary>Most CPU time the process may use (RLIMIT_CPU); it is killed past it and restarted by the supervisor.</summary>
    public TimeSpan? CpuTime { get; init; }

    /// <summary>Most open files (RLIMIT_NOFILE).</summary>
    public int? OpenFiles { get; init; }

    /// <summary>Most processes of the server's user (RLIMIT_NPROC; the kernel does not apply it to root).</summary>
    public int? Processes { get; init; }

    /// <summary>False: the process runs in a network namespace of its own with no interfaces (bubblewrap).</summary>
    public bool Network { get; init; } = true;

    /// <summary>
    /// True: the filesystem is read-only except the server's working directory (where <c>TMPDIR</c> points); the
    /// gateway's data directory, configuration file and secrets key file are hidden (bubblewrap).
    /// </summary>
    public bool ReadOnlyFilesystem { get; init; }

    /// <summary>True when a resource limit is set.</summary>
    public bool HasLimits => MemoryBytes is not null || CpuTime is not null || OpenFiles is not null || Processes is not null;

    /// <summary>True when the process must run under bubblewrap.</summary>
    public bool NeedsSandbox => !Network || ReadOnlyFilesystem;
}
