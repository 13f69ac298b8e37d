using System.Diagnostics.Metrics;
using AdoptionEvents.Hosting;
using Marten;

namespace AdoptionEvents.ReadModels.Admin;

/// <summary>A shard's position; Stuck when it is behind and has not moved for Projections:StuckAfterSeconds.</summary>
public sealed record ShardLag(string Shard, long Sequence, long Lag, bool Stuck = false);

public sealed record LagSample(long HighWaterMark, IReadOnlyList<ShardLag> Shards, DateTimeOffset SampledAt)
{
    public long MaxLag => Shards.Count == 0 ? 0 : Shards.Max(s => s.Lag);
}

/// <summary>
/// How far each async projection is behind the newest event, sampled every few seconds; exposed in
/// /health/ready and as the gauge adoption_events.projection.lag (events, tagged by shard).
/// </summary>
public sealed class ProjectionLag : BackgroundService
{
    private readonly IDocumentStore _store;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _every;
    private readonly TimeSpan _stuckAfter;
    private readonly Dictionary<string, (long Sequence, DateTimeOffset Since)> _behind = [];
    private readonly Lock _gate = new();
    private volatile LagSample? _latest;

    public ProjectionLag(IDocumentStore store, TimeProvider clock, IConfiguration configuration, IMeterFactory meters)
    {
        (_store, _clock) = (store, clock);
        _every = TimeSpan.FromSeconds(configuration.GetValue("Projections:LagSampleSeconds", 5));
        _stuckAfter = TimeSpan.FromSeconds(configuration.GetValue("Projections:StuckAfterSeconds", 60));
        meters.Create(Telemetry.ServiceName).CreateObservableGauge("adoption_events.projection.lag",
            () => (_latest?.Shards ?? []).Select(s => new Measurement<long>(s.Lag, new KeyValuePair<string, object?>("shard", s.Shard))),
            unit: "{event}", description: "Events appended but not yet applied by each async projection");
    }

    public LagSample? Latest => _latest;

    public async Task<LagSample> SampleAsync(CancellationToken ct)
    {
        var high = await NewestEventAsync(ct);
        var progress = await _store.Advanced.AllProjectionProgress(token: ct);
        var now = _clock.GetUtcNow();
        // Only shards this store runs: a stored position outlives its shard (the relay's, once the broker is no longer configured).
        var registered = ((StoreOptions)_store.Options).Projections.AllShards().Select(s => s.Name.Identity).ToHashSet(StringComparer.Ordinal);
        lock (_gate)
        {
            var shards = progress
                .Where(p => registered.Contains(p.ShardName))
                .Select(p => new ShardLag(p.ShardName, p.Sequence, Math.Max(0, high - p.Sequence)))
                .Select(s => s with { Stuck = IsStuck(s, now) })
                .OrderBy(s => s.Shard, StringComparer.Ordinal)
                .ToList();
            return _latest = new LagSample(high, shards, now);
        }
    }

    // Marten's event store statistics count every event and stream (two full scans, 0.5 s at 400,000 events on a busy
    // box, every few seconds); the newest sequence is one step down the primary key.
    private async Task<long> NewestEventAsync(CancellationToken ct)
    {
        await using var connection = _store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new Npgsql.NpgsqlCommand($"select coalesce(max(seq_id), 0) from {_store.Options.Events.DatabaseSchemaName}.mt_events", connection);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    // A shard that stays behind at one position is failing on the event after it (Marten logs which, and retries).
    private bool IsStuck(ShardLag shard, DateTimeOffset now)
    {
        if (shard.Lag == 0)
        {
            _behind.Remove(shard.Shard);
            return false;
        }

        if (!_behind.TryGetValue(shard.Shard, out var seen) || seen.Sequence != shard.Sequence)
        {
            _behind[shard.Shard] = (shard.Sequence, now);
            return false;
        }

        return now - seen.Since >= _stuckAfter;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_every, _clock);
        try
        {
            do
            {
                try
                {
                    await SampleAsync(stoppingToken);
                }
                catch (Npgsql.NpgsqlException)
                {
                    // The database is away; /health/ready says so through its own check.
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
