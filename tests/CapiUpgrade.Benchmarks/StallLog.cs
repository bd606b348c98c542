using System.Diagnostics.Tracing;
using System.Globalization;

namespace CapiUpgrade.Benchmarks;

/// <summary>
/// When the environment names a file prefix (<c>CAPI_BENCH_STALL_LOG</c>), each benchmark process writes
/// <c>PREFIX-ROLE.csv</c>: every moment it was stalled, with the wall-clock time, so a slow reaction can be laid
/// beside what its processes were doing then. A thread looks every 5 ms; a line is written when a garbage
/// collection paused the process since the last look, or when the look came more than 20 ms late (the thread
/// was not given a core), with the thread pool's queue length then.
/// </summary>
public sealed class StallLog : IDisposable
{
    private const string Variable = "CAPI_BENCH_STALL_LOG";
    private readonly string _path;
    private readonly List<string> _lines = ["at,gc_pause_ms,late_ms,pool_queued,pool_threads,gc_generation,gc_promoted_mib,gc_heap_mib,allocated_mib"];
    private readonly Thread _thread;
    private volatile bool _stop;
    private readonly AllocationSampler _allocations = new();
    private readonly HandshakeLog _handshakes = new();
    private readonly GcPhaseLog _gcPhases = new();

    private StallLog(string path)
    {
        _path = path;
        _thread = new Thread(Run) { IsBackground = true, Name = "stall-log", Priority = ThreadPriority.Highest };
        _thread.Start();
    }

    /// <summary>Starts the log for this process's <paramref name="role"/> when the environment asks for one.</summary>
    public static StallLog? StartIfAsked(string role) =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } prefix ? new StallLog($"{prefix}-{role}.csv") : null;

    private void Run()
    {
        var interval = TimeSpan.FromMilliseconds(5);
        var pause = GC.GetTotalPauseDuration();
        var last = DateTime.UtcNow;
        while (!_stop)
        {
            Thread.Sleep(interval);
            var now = DateTime.UtcNow;
            var nowPause = GC.GetTotalPauseDuration();
            var paused = (nowPause - pause).TotalMilliseconds;
            var late = (now - last - interval).TotalMilliseconds;
            if (paused > 0 || late > 20)
                lock (_lines)
                {
                    var gc = GC.GetGCMemoryInfo(GCKind.Any);
                    _lines.Add(string.Create(CultureInfo.InvariantCulture,
                        $"{now:O},{paused:F1},{late:F1},{ThreadPool.PendingWorkItemCount},{ThreadPool.ThreadCount},{gc.Generation},{gc.PromotedBytes / 1048576.0:F1},{gc.HeapSizeBytes / 1048576.0:F0},{GC.GetTotalAllocatedBytes() / 1048576.0:F0}"));
                }
            (pause, last) = (nowPause, now);
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        lock (_lines) File.WriteAllLines(_path, _lines);
        File.WriteAllLines(Path.ChangeExtension(_path, ".alloc.txt"), _allocations.Top(60));
        _allocations.Dispose();
        File.WriteAllLines(Path.ChangeExtension(_path, ".tls.csv"), _handshakes.Lines());
        _handshakes.Dispose();
        File.WriteAllLines(Path.ChangeExtension(_path, ".gc.csv"), _gcPhases.Lines());
        _gcPhases.Dispose();
    }

    /// <summary>
    /// Every time the runtime stopped all threads, from its events, wall-clock: how long stopping them took, the
    /// garbage collection inside (empty when the stop was for something else, e.g. the tiered JIT; a background
    /// collection's stops hold only its short blocking parts) and the whole pause — a long pause is one or the other.
    /// </summary>
    private sealed class GcPhaseLog : EventListener
    {
        private readonly List<string> _lines = ["suspend_begin,suspend_reason,suspend_ms,gc_ms,pause_ms,generation,gc_reason,gc_type,marks"];
        private static readonly string[] RootKinds = ["stack", "finalize-queue", "handles", "older", "sized-ref", "overflow", "dependent-handles", "new-finalize-queue", "steal", "bgc"];
        private readonly List<string> _marks = [];
        private DateTime _suspendBegin, _suspendEnd, _gcStart, _gcEnd;
        private object? _suspendReason, _generation, _reason, _type;

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
                EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
        }

        // The server collector's threads meet at these points between its phases (the runtime's gc_join_stage).
        private static readonly string[] JoinStages =
        [
            "init_cpu_mapping", "done", "generation_determined", "begin_mark_phase", "scan_dependent_handles", "rescan_dependent_handles",
            "scan_sizedref_done", "null_dead_short_weak", "scan_finalization", "null_dead_long_weak", "null_dead_syncblk", "decide_on_compaction",
            "rearrange_segs_compaction", "adjust_handle_age_compact", "adjust_handle_age_sweep", "begin_relocate_phase", "relocate_phase_done",
            "verify_objects_done", "start_bgc", "restart_ee", "concurrent_overflow", "suspend_ee", "bgc_after_ephemeral", "allow_fgc", "bgc_sweep",
            "suspend_ee_verify", "restart_ee_verify", "set_state_free", "update_card_bundle", "after_absorb", "verify_copy_table",
        ];

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            object? Payload(string name) => e.PayloadNames?.IndexOf(name) is { } i and >= 0 ? e.Payload![i] : null;
            var name = e.EventName ?? "";
            lock (_lines)
            {
                if (name.StartsWith("GCSuspendEEBegin", StringComparison.Ordinal))
                    (_suspendBegin, _suspendReason, _gcStart, _gcEnd) = (e.TimeStamp, Payload("Reason"), default, default);
                else if (name.StartsWith("GCSuspendEEEnd", StringComparison.Ordinal))
                    _suspendEnd = e.TimeStamp;
                else if (name.StartsWith("GCStart", StringComparison.Ordinal) && _suspendBegin != default)
                {
                    (_gcStart, _generation, _reason, _type) = (e.TimeStamp, Payload("Depth"), Payload("Reason"), Payload("Type"));
                    _marks.Clear();
                }
                else if (name.StartsWith("GCJoin", StringComparison.Ordinal) && _gcStart != default
                         && Convert.ToInt32(Payload("JoinTime"), CultureInfo.InvariantCulture) == 0 && Convert.ToInt32(Payload("JoinType"), CultureInfo.InvariantCulture) == 0)
                {
                    // The last thread reached a join: the phase before it ended on every heap.
                    var stage = Convert.ToInt32(Payload("JoinID"), CultureInfo.InvariantCulture);
                    _marks.Add(string.Create(CultureInfo.InvariantCulture,
                        $"join {(stage < JoinStages.Length ? JoinStages[stage] : stage.ToString(CultureInfo.InvariantCulture))} @{(e.TimeStamp - _gcStart).TotalMilliseconds:F1}ms"));
                }
                else if (name.StartsWith("GCMarkWithType", StringComparison.Ordinal) && _gcStart != default)
                {
                    // Each heap's marking from one kind of root finished: when (since the collection began) and how much it marked.
                    var kind = Convert.ToInt32(Payload("Type"), CultureInfo.InvariantCulture);
                    _marks.Add(string.Create(CultureInfo.InvariantCulture,
                        $"h{Payload("HeapNum")} {(kind < RootKinds.Length ? RootKinds[kind] : kind.ToString(CultureInfo.InvariantCulture))} @{(e.TimeStamp - _gcStart).TotalMilliseconds:F1}ms {Convert.ToDouble(Payload("Bytes"), CultureInfo.InvariantCulture) / 1048576.0:F2}MiB"));
                }
                else if (name.StartsWith("GCEnd", StringComparison.Ordinal) && _gcStart != default)
                    _gcEnd = e.TimeStamp;
                else if (name.StartsWith("GCRestartEEEnd", StringComparison.Ordinal) && _suspendBegin != default)
                {
                    var gc = _gcStart != default && _gcEnd != default;
                    _lines.Add(string.Create(CultureInfo.InvariantCulture,
                        $"{_suspendBegin:O},{_suspendReason},{(_suspendEnd - _suspendBegin).TotalMilliseconds:F1},{(gc ? (_gcEnd - _gcStart).TotalMilliseconds.ToString("F1", CultureInfo.InvariantCulture) : "")},{(e.TimeStamp - _suspendBegin).TotalMilliseconds:F1},{(gc ? _generation : "")},{(gc ? _reason : "")},{(gc ? _type : "")},{(gc ? string.Join("; ", _marks) : "")}"));
                    _suspendBegin = default;
                }
            }
        }

        public IReadOnlyList<string> Lines()
        {
            lock (_lines) return [.. _lines];
        }
    }

    /// <summary>Every TLS handshake this process began (as client or server), with the wall-clock time: a new connection's cost at both ends.</summary>
    private sealed class HandshakeLog : EventListener
    {
        private readonly List<string> _lines = ["at,side,target_host"];

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "System.Net.Security")
                EnableEvents(source, EventLevel.Informational);
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventName != "HandshakeStart" || e.Payload is null) return;
            var server = e.PayloadNames!.IndexOf("isServer") is var i and >= 0 && e.Payload[i] is true;
            var host = e.PayloadNames!.IndexOf("targetHost") is var h and >= 0 ? e.Payload[h] as string : null;
            lock (_lines) _lines.Add(string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:O},{(server ? "server" : "client")},{host}"));
        }

        public IReadOnlyList<string> Lines()
        {
            lock (_lines) return [.. _lines];
        }
    }

    /// <summary>The runtime's allocation samples (one per ~100 KB allocated) summed by type.</summary>
    private sealed class AllocationSampler : EventListener
    {
        private readonly Dictionary<string, (long Bytes, int Samples)> _byType = new();

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
                EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null) return;
            var type = e.PayloadNames!.IndexOf("TypeName") is var t and >= 0 ? e.Payload[t] as string ?? "?" : "?";
            var amount = e.PayloadNames!.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(e.Payload[a], CultureInfo.InvariantCulture) : 100_000;
            lock (_byType)
                _byType[type] = _byType.TryGetValue(type, out var v) ? (v.Bytes + amount, v.Samples + 1) : (amount, 1);
        }

        public IEnumerable<string> Top(int n)
        {
            lock (_byType)
                return _byType.OrderByDescending(p => p.Value.Bytes).Take(n)
                    .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Value.Bytes / 1048576.0,10:F1} MiB {p.Value.Samples,7} {p.Key}")).ToList();
        }
    }
}
