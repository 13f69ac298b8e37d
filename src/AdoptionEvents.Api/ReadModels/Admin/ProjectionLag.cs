using System.Diagnostics.Metrics;
using AdoptionEvents.Hosting;
using Marten;

namespace AdoptionEvents.ReadModels.Admin;

public sealed record ShardLag(string Shard, long Sequence, long Lag);

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
    private volatile LagSample? _latest;

    public ProjectionLag(IDocumentStore store, TimeProvider clock, IConfiguration configuration, IMeterFactory meters)
    {
        (_store, _clock) = (store, clock);
        _every = TimeSpan.FromSeconds(configuration.GetValue("Projections:LagSampleSeconds", 5));
        meters.Create(Telemetry.ServiceName).CreateObservableGauge("adoption_events.projection.lag",
            () => (_latest?.Shards ?? []).Select(s => new Measurement<long>(s.Lag, new KeyValuePair<string, object?>("shard", s.Shard))),
            unit: "{event}", description: "Events appended but not yet applied by each async projection");
    }

    public LagSample? Latest => _latest;

    public async Task<LagSample> SampleAsync(CancellationToken ct)
    {
        var statistics = await _store.Storage.Database.FetchEventStoreStatistics(ct);
        var progress = await _store.Advanced.AllProjectionProgress(token: ct);
        var high = statistics.EventSequenceNumber;
        var shards = progress
            .Where(p => p.ShardName != "HighWaterMark")
            .Select(p => new ShardLag(p.ShardName, p.Sequence, Math.Max(0, high - p.Sequence)))
            .OrderBy(s => s.Shard, StringComparer.Ordinal)
            .ToList();
        return _latest = new LagSample(high, shards, _clock.GetUtcNow());
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_every, _clock);
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
}
