using System.Diagnostics;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Recording;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.ReadModels.InnovationSummaries;
using AdoptionEvents.ReadModels.NetworkFigures;
using AdoptionEvents.ReadModels.SiteRegister;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using Marten;
using Npgsql;
using NpgsqlTypes;

namespace AdoptionEvents.ReadModels.Building;

/// <summary>What one build did: the events folded, up to which sequence, and the documents written per projection.</summary>
public sealed record BuildReport(long From, long Ceiling, long Events, IReadOnlyDictionary<string, int> Documents, TimeSpan Duration);

/// <summary>How far a build has got: events folded of the events to fold.</summary>
public sealed record BuildProgress(long Folded, long Total);

/// <summary>
/// Builds the async read models outside the daemon, for a rebuild (from the first event) or to catch
/// up after a bulk import (from each projection's progress mark). It pauses the projections' shards on
/// this node's daemon, reads the events up to a ceiling below which nothing can still commit, stream by
/// stream in pages, folds them in memory through the same projection code the daemon runs (every
/// document is per journey, so a stream's events are all a document ever needs), and writes the
/// documents with binary COPY. Documents and progress marks are written in one transaction, with the
/// marks' rows locked from the start: the marks name exactly the events folded, and a daemon elsewhere
/// cannot move them meanwhile. The shards then resume from those marks, so events appended during
/// the build reach every read model once.
/// </summary>
public sealed class ReadModelBuilder(IDocumentStore store, IServiceProvider services, ILogger<ReadModelBuilder> logger)
{
    /// <summary>The projections this builder folds (every async projection of the store).</summary>
    public static readonly IReadOnlyList<string> Projections = [Configuration.InnovationSummaries, Configuration.SiteRegister, Configuration.ObservedMetrics];

    private const int PageEvents = 20_000;

    /// <summary>
    /// The async projections and the inline ones kept per journey stream (decision state, event index): inline
    /// ones have no mark; while they are rebuilt, appends wait (the streams table is locked) so none slips between
    /// reading a stream and writing its documents.
    /// </summary>
    public bool CanBuild(string projection) => Projections.Contains(projection) || InlineNames.Contains(projection);

    private string JourneyName => ((StoreOptions)store.Options).Projections.All.OfType<JourneyProjection>().Single().Name;

    // Registered as a plain IProjection, so Marten holds it in a wrapper.
    private string EventIndexName => ((StoreOptions)store.Options).Projections.All
        .Single(p => p is JasperFx.Events.Projections.IProjectionWrapper { InnerProjection: EventIndexProjection }).Name;

    private string SiteStatusName => ((StoreOptions)store.Options).Projections.All.OfType<SiteStatusProjection>().Single().Name;

    private IReadOnlyList<string> InlineNames => [JourneyName, EventIndexName, SiteStatusName];

    /// <summary>Every projection this builder can rebuild.</summary>
    public IReadOnlyList<string> All => [.. Projections, .. InlineNames];

    /// <summary>The daemon running on this node, if any (none under Wolverine-managed distribution, nor in a CLI command).</summary>
    public IProjectionDaemon? LocalDaemon => services.GetService<Marten.Events.Daemon.Coordination.IProjectionCoordinator>()?.DaemonForMainDatabase();

    /// <summary>Replaces every document of the projections with ones folded from the first event.</summary>
    public async Task<BuildReport> RebuildAsync(IReadOnlyCollection<string> projections, Action<BuildProgress>? progress, CancellationToken ct)
    {
        await using var build = await BeginAsync(projections, ct);
        return await build.RunAsync(fromScratch: true, progress, ct);
    }

    /// <summary>
    /// Starts a build: this node's daemon pauses the projections' shards, and a transaction locks their
    /// document tables against writers (readers go on), so a shard the daemon restarts meanwhile (its
    /// health check restarts paused agents) waits for the build instead of writing beside it. Run it with
    /// <see cref="Build.RunAsync"/>; disposing it ends the transaction and resumes the shards.
    /// </summary>
    public async Task<Build> BeginAsync(IReadOnlyCollection<string> projections, CancellationToken ct)
    {
        var unknown = projections.Where(p => !CanBuild(p)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"the builder folds {string.Join(", ", Projections)}, not {string.Join(", ", unknown)}", nameof(projections));
        }

        var daemon = LocalDaemon is { IsRunning: true } running ? running : null;
        foreach (var p in projections.Where(Projections.Contains))
        {
            if (daemon is not null)
            {
                await daemon.PauseShardAsync(p, null, ct);
            }
        }

        // A daemon batch takes its mark's row and its table in its own order; rather than guess that order, give
        // way (roll back, wait, try again) whenever a lock does not come at once, until every lock is held.
        for (var attempt = 1; ; attempt++)
        {
            var connection = store.Storage.Database.CreateConnection();
            try
            {
                await connection.OpenAsync(ct);
                var tx = await connection.BeginTransactionAsync(ct);
                var marks = await LockAsync(connection, projections, ct);
                return new Build(this, [.. projections], connection, tx, daemon, marks);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.DeadlockDetected && attempt < 100)
            {
                await connection.DisposeAsync();
                await Task.Delay(TimeSpan.FromMilliseconds(100 * Math.Min(attempt, 10)), ct);
            }
            catch
            {
                await connection.DisposeAsync();
                await ResumeAsync(daemon, projections);
                throw;
            }
        }
    }

    /// <summary>Locks the document tables against writers (readers go on) and the projections' marks; returns the marks.</summary>
    private async Task<Dictionary<string, long>> LockAsync(NpgsqlConnection connection, IReadOnlyCollection<string> projections, CancellationToken ct)
    {
        var options = (StoreOptions)store.Options;
        await ExecuteAsync(connection, "set local lock_timeout = '500ms'", ct);
        var tables = projections.Where(Projections.Contains).SelectMany(TablesOf).Select(t => $"{options.DatabaseSchemaName}.{t}").ToList();
        if (tables.Count > 0)
        {
            await ExecuteAsync(connection, $"lock table {string.Join(", ", tables)} in share row exclusive mode", ct);
        }

        if (projections.Any(InlineNames.Contains))
        {
            await ExecuteAsync(connection, $"lock table {options.Events.DatabaseSchemaName}.mt_streams in share mode", ct);
        }

        var marks = new Dictionary<string, long>();
        foreach (var p in projections.Where(Projections.Contains))
        {
            marks[p] = await MarkAsync(connection, options.Events.DatabaseSchemaName, p, ct);
        }

        await ExecuteAsync(connection, "set local lock_timeout = 0", ct);
        return marks;
    }

    private static async Task ResumeAsync(IProjectionDaemon? daemon, IEnumerable<string> projections)
    {
        foreach (var p in projections.Where(Projections.Contains))
        {
            if (daemon is not null)
            {
                await daemon.StartAgentAsync(new JasperFx.Events.Projections.ShardName(p), CancellationToken.None);
            }
        }
    }

    /// <summary>A build under way: its connection, its transaction (holding the table locks) and the shards it paused.</summary>
    public sealed class Build(ReadModelBuilder builder, List<string> projections, NpgsqlConnection connection, NpgsqlTransaction tx, IProjectionDaemon? daemon, Dictionary<string, long> marks) : IAsyncDisposable
    {
        private bool _done;

        /// <summary>
        /// Folds from the first event (a rebuild: the documents are replaced) or from each projection's mark
        /// (catching up after a bulk import), writes the documents and the marks, and commits.
        /// </summary>
        public async Task<BuildReport> RunAsync(bool fromScratch, Action<BuildProgress>? progress, CancellationToken ct)
        {
            if (_done)
            {
                throw new InvalidOperationException("this build has run already");
            }

            _done = true;
            var report = await builder.FoldAsync(projections, connection, fromScratch ? marks.ToDictionary(m => m.Key, _ => 0L) : marks, fromScratch, progress, ct);
            await tx.CommitAsync(ct);
            return report;
        }

        public async ValueTask DisposeAsync()
        {
            await tx.DisposeAsync();
            await connection.DisposeAsync();
            await ResumeAsync(daemon, projections);
        }
    }

    private async Task<BuildReport> FoldAsync(List<string> projections, NpgsqlConnection connection, Dictionary<string, long> marks, bool fromScratch, Action<BuildProgress>? progress, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var options = (StoreOptions)store.Options;
        var schema = options.Events.DatabaseSchemaName;

        // Inline projections are folded from the first event: their streams are locked, so every event is there.
        var inline = projections.Where(InlineNames.Contains).ToList();
        var from = inline.Count > 0 || marks.Count == 0 ? 0 : marks.Values.Min();
        var ceiling = await CeilingAsync(connection, schema, from, ct);
        var writers = new Writers(connection, options);

        // A projection at mark 0 has applied nothing: it is built like a rebuild (emptied, written straight by COPY, nothing to load).
        var scratch = marks.ToDictionary(m => m.Key, m => fromScratch || m.Value == 0);
        foreach (var table in scratch.Where(m => m.Value).SelectMany(m => TablesOf(m.Key)))
        {
            await ExecuteAsync(connection, $"delete from {options.DatabaseSchemaName}.{table}", ct);
        }

        // Only journey streams matter to these projections (organisation streams are skipped unread).
        var pages = await PagesAsync(connection, schema, from, ceiling, [.. EventCatalogue.Entries.Select(e => e.Name)], ct);
        var total = pages.Sum(p => p.Events);
        long folded = 0;
        var documents = projections.ToDictionary(p => p, _ => 0);
        var summaries = options.Projections.All.OfType<JasperFx.Events.Projections.IProjectionWrapper>().Select(p => p.InnerProjection).OfType<InnovationSummaryProjection>().Single();
        var register = options.Projections.All.OfType<SiteAdoptionProjection>().Single();
        var journeys = options.Projections.All.OfType<JourneyProjection>().Single();
        var siteStatuses = options.Projections.All.OfType<SiteStatusProjection>().Single();
        progress?.Invoke(new BuildProgress(0, total));

        // The next page is read and deserialised while this one is folded and written.
        var next = pages.Count > 0 ? EventsAsync(pages[0].Streams, from, ceiling, ct) : null;
        for (var i = 0; i < pages.Count; i++)
        {
            var events = await next!;
            next = i + 1 < pages.Count ? EventsAsync(pages[i + 1].Streams, from, ceiling, ct) : null;
            folded += events.Count;
            if (inline.Contains(JourneyName))
            {
                documents[JourneyName] += await writers.WriteAsync(FoldJourneys(journeys, events), replace: false, ct);
            }

            if (inline.Contains(SiteStatusName))
            {
                documents[SiteStatusName] += await writers.WriteAsync(FoldSiteStatus(siteStatuses, events), replace: false, ct);
            }

            if (inline.Contains(EventIndexName))
            {
                var (indexed, edges) = FoldIndex(events);
                documents[EventIndexName] += await writers.WriteAsync(indexed, replace: false, ct) + await writers.WriteAsync(edges, replace: false, ct);
            }

            if (projections.Contains(Configuration.InnovationSummaries))
            {
                var applying = events.Where(e => e.Sequence > marks[Configuration.InnovationSummaries]).ToList();
                var fresh = scratch[Configuration.InnovationSummaries];
                var changes = await FoldSummariesAsync(summaries, applying, fresh, ct);
                documents[Configuration.InnovationSummaries] += await writers.WriteAsync([.. changes.Summaries.Select(d => new Built(d.Id, d, 0))], fresh, ct)
                    + await writers.WriteAsync([.. changes.Sites.Select(d => new Built(d.Id, d, 0))], fresh, ct)
                    + await writers.WriteAsync([.. changes.Barriers.Select(d => new Built(d.EventId, d, 0))], fresh, ct);
                if (changes.RemovedBarriers.Count > 0)
                {
                    await using var delete = new NpgsqlCommand($"delete from {options.DatabaseSchemaName}.mt_doc_barrierentry where id = any($1)", connection)
                    {
                        Parameters = { new() { Value = changes.RemovedBarriers.ToArray() } },
                    };
                    await delete.ExecuteNonQueryAsync(ct);
                }
            }

            if (projections.Contains(Configuration.SiteRegister))
            {
                var applying = events.Where(e => e.Sequence > marks[Configuration.SiteRegister]).ToList();
                var built = await FoldRegisterAsync(register, applying, scratch[Configuration.SiteRegister], ct);
                documents[Configuration.SiteRegister] += await writers.WriteAsync(built, scratch[Configuration.SiteRegister], ct);
            }

            if (projections.Contains(Configuration.ObservedMetrics))
            {
                var applying = events.Where(e => e.Sequence > marks[Configuration.ObservedMetrics]).ToList();
                var built = await FoldMetricsAsync(applying, scratch[Configuration.ObservedMetrics], ct);
                documents[Configuration.ObservedMetrics] += await writers.WriteAsync(built, scratch[Configuration.ObservedMetrics], ct);
            }

            progress?.Invoke(new BuildProgress(folded, total));
        }

        foreach (var (p, mark) in marks)
        {
            await SetMarkAsync(connection, schema, p, Math.Max(ceiling, mark), ct);
        }

        logger.LogInformation("Built {Projections} from event {From} to {Ceiling}: {Events} events folded, {Documents} documents written in {Seconds:F1} s",
            string.Join(", ", projections), from, ceiling, folded, documents.Values.Sum(), watch.Elapsed.TotalSeconds);
        return new BuildReport(from, ceiling, folded, documents, watch.Elapsed);
    }

    private static string[] TablesOf(string projection) => projection switch
    {
        Configuration.InnovationSummaries => ["mt_doc_innovationsummary", "mt_doc_summarysite", "mt_doc_barrierentry"],
        Configuration.SiteRegister => ["mt_doc_siteadoption"],
        _ => ["mt_doc_observedmetric"],
    };

    private static async Task<long> MarkAsync(NpgsqlConnection connection, string schema, string projection, CancellationToken ct)
    {
        var shard = new NpgsqlParameter { Value = projection + ":All" };
        await using var insert = new NpgsqlCommand($"insert into {schema}.mt_event_progression (name, last_seq_id) values ($1, 0) on conflict (name) do nothing", connection)
        {
            Parameters = { shard },
        };
        await insert.ExecuteNonQueryAsync(ct);
        await using var select = new NpgsqlCommand($"select last_seq_id from {schema}.mt_event_progression where name = $1 for update", connection)
        {
            Parameters = { new() { Value = projection + ":All" } },
        };
        return await select.ExecuteScalarAsync(ct) is long mark ? mark : 0;
    }

    private static async Task SetMarkAsync(NpgsqlConnection connection, string schema, string projection, long mark, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"insert into {schema}.mt_event_progression (name, last_seq_id, last_updated) values ($1, $2, transaction_timestamp()) " +
            "on conflict (name) do update set last_seq_id = excluded.last_seq_id, last_updated = excluded.last_updated", connection)
        {
            Parameters = { new() { Value = projection + ":All" }, new() { Value = mark } },
        };
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The highest sequence below which no event can still commit: the newest visible event when every
    /// number after <paramref name="from"/> up to it is taken (no transaction can fill a hole later), else
    /// the daemon's high-water mark (Marten's own judgement of gaps).
    /// </summary>
    private static async Task<long> CeilingAsync(NpgsqlConnection connection, string schema, long from, CancellationToken ct)
    {
        await using var range = new NpgsqlCommand($"select coalesce(max(seq_id), $1), count(*) from {schema}.mt_events where seq_id > $1", connection)
        {
            Parameters = { new() { Value = from } },
        };
        long newest, count;
        await using (var reader = await range.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            (newest, count) = (reader.GetInt64(0), reader.GetInt64(1));
        }

        await using var mark = new NpgsqlCommand($"select coalesce((select last_seq_id from {schema}.mt_event_progression where name = 'HighWaterMark'), 0)", connection);
        var highWater = (long)(await mark.ExecuteScalarAsync(ct))!;
        return newest - from == count ? newest : Math.Max(from, Math.Min(newest, highWater));
    }

    private sealed record Page(List<Guid> Streams, long Events);

    /// <summary>The streams with events in (from, ceiling], in pages of whole streams of about <see cref="PageEvents"/> events.</summary>
    private static async Task<List<Page>> PagesAsync(NpgsqlConnection connection, string schema, long from, long ceiling, string[] types, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"select stream_id, count(*) from {schema}.mt_events where seq_id > $1 and seq_id <= $2 and type = any($3) group by stream_id order by stream_id", connection)
        {
            Parameters = { new() { Value = from }, new() { Value = ceiling }, new() { Value = types } },
        };
        var pages = new List<Page>();
        var current = new Page([], 0);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            current.Streams.Add(reader.GetGuid(0));
            current = current with { Events = current.Events + reader.GetInt64(1) };
            if (current.Events >= PageEvents)
            {
                pages.Add(current);
                current = new Page([], 0);
            }
        }

        if (current.Streams.Count > 0)
        {
            pages.Add(current);
        }

        return pages;
    }

    private async Task<IReadOnlyList<IEvent>> EventsAsync(List<Guid> streams, long from, long ceiling, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        return await session.Events.QueryAllRawEvents()
            .Where(e => streams.Contains(e.StreamId) && e.Sequence > from && e.Sequence <= ceiling)
            .OrderBy(e => e.Sequence)
            .ToListAsync(ct);
    }

    private static List<Built> FoldJourneys(JourneyProjection projection, IReadOnlyList<IEvent> events)
    {
        var built = new List<Built>();
        foreach (var stream in events.GroupBy(e => e.StreamId))
        {
            Journey? state = null;
            foreach (var e in stream)
            {
                state = projection.Evolve(state, stream.Key, e);
            }

            if (state is not null)
            {
                built.Add(new Built(stream.Key, state, stream.Last().Version));
            }
        }

        return built;
    }

    private static List<Built> FoldSiteStatus(SiteStatusProjection projection, IReadOnlyList<IEvent> events)
    {
        var documents = new Dictionary<Guid, (SiteStatus? Document, long Sequence)>();
        foreach (var e in events.Where(e => e.Data is SiteEvent))
        {
            var fact = (SiteEvent)e.Data;
            var id = SiteStatus.IdFor(fact.InnovationId, fact.SiteId);
            documents[id] = (projection.Evolve(documents.TryGetValue(id, out var known) ? known.Document : null, id, e), e.Sequence);
        }

        return [.. documents.Where(d => d.Value.Document is not null).Select(d => new Built(d.Key, d.Value.Document!, d.Value.Sequence))];
    }

    private static (List<Built> Indexed, List<Built> Edges) FoldIndex(IReadOnlyList<IEvent> events)
    {
        var indexed = new List<Built>();
        var edges = new List<Built>();
        foreach (var stream in events.GroupBy(e => e.StreamId))
        {
            var facts = stream.Where(e => e.Data is JourneyEvent).Select(e => (e.Id, Fact: (JourneyEvent)e.Data)).ToList();
            indexed.AddRange(facts.Select(f => new Built(f.Id, IndexedEvent.Of(f.Id, stream.Key, f.Fact), 0)));
            edges.AddRange(EventIndexProjection.EdgesOf(facts).Select(edge => new Built(edge.Id, edge, 0)));
        }

        return (indexed, edges);
    }

    private async Task<SummaryChanges> FoldSummariesAsync(InnovationSummaryProjection projection, List<IEvent> events, bool fromScratch, CancellationToken ct)
    {
        SummaryBatch batch;
        if (fromScratch)
        {
            batch = SummaryBatch.Empty();
        }
        else
        {
            await using var session = store.QuerySession();
            batch = await SummaryBatch.LoadAsync(session, events, ct);
        }

        batch.Fold(projection, events);
        return batch.Changes();
    }

    private async Task<List<Built>> FoldRegisterAsync(SiteAdoptionProjection projection, List<IEvent> events, bool fromScratch, CancellationToken ct)
    {
        var sites = events.Where(e => e.Data is SiteEvent).ToList();
        var stored = fromScratch ? new Dictionary<Guid, SiteAdoption>() : await LoadAsync<SiteAdoption>(sites.Select(e => SiteAdoptionProjection.IdentityOf((SiteEvent)e.Data)).Distinct(), d => d.Id, ct);
        var documents = new Dictionary<Guid, (SiteAdoption? Document, long Sequence)>();
        foreach (var e in sites)
        {
            var fact = (SiteEvent)e.Data;
            if (fact.InnovationId != e.StreamId)
            {
                // Documents are folded per stream: an event about another journey's site would need the whole log in order.
                throw new InvalidOperationException($"event {e.Id} in stream {e.StreamId} names innovation {fact.InnovationId}");
            }

            var id = SiteAdoptionProjection.IdentityOf(fact);
            var before = documents.TryGetValue(id, out var known) ? known.Document : stored.GetValueOrDefault(id);
            documents[id] = (projection.Evolve(before, id, e), e.Sequence);
        }

        return [.. documents.Where(d => d.Value.Document is not null).Select(d => new Built(d.Key, d.Value.Document!, d.Value.Sequence))];
    }

    private async Task<List<Built>> FoldMetricsAsync(List<IEvent> events, bool fromScratch, CancellationToken ct)
    {
        var observed = events.Where(e => e.Data is Journeys.Measures.MetricObserved).Select(e => e.Id).ToHashSet();
        var targets = events.Select(ObservedMetricProjection.Target).OfType<Guid>().Where(id => !observed.Contains(id)).Distinct().ToList();
        var known = fromScratch || targets.Count == 0 ? new Dictionary<Guid, ObservedMetric>() : await LoadAsync<ObservedMetric>(targets, d => d.Id, ct);
        var changed = new Dictionary<Guid, ObservedMetric>();
        foreach (var e in events)
        {
            if (ObservedMetricProjection.Apply(known, e) is { } metric)
            {
                changed[metric.Id] = metric;
            }
        }

        return [.. changed.Values.Select(m => new Built(m.Id, m, 0))];
    }

    private async Task<Dictionary<Guid, T>> LoadAsync<T>(IEnumerable<Guid> ids, Func<T, Guid> idOf, CancellationToken ct) where T : notnull
    {
        await using var session = store.QuerySession();
        var found = new Dictionary<Guid, T>();
        foreach (var chunk in ids.Chunk(5_000))
        {
            foreach (var d in await session.LoadManyAsync<T>(ct, chunk))
            {
                found[idOf(d)] = d;
            }
        }

        return found;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A folded document with the revision Marten keeps for it (stream version or event sequence).</summary>
    private sealed record Built(Guid Id, object Document, long Revision);

    /// <summary>
    /// Writes documents as Marten stores them (id, JSON, type, version, last modified) with binary COPY on the
    /// build's transaction: straight into an emptied table for a rebuild, through a temporary table and an
    /// upsert when documents may already exist.
    /// </summary>
    private sealed class Writers(NpgsqlConnection connection, StoreOptions options)
    {
        private readonly Dictionary<Type, (string Table, bool GuidVersion)> _tables = [];
        private readonly Marten.ISerializer _serializer = options.Serializer();

        /// <summary>Into a table emptied by this build (<paramref name="replace"/>) by COPY; else COPY to a staging table and upsert.</summary>
        public async Task<int> WriteAsync(IReadOnlyList<Built> documents, bool replace, CancellationToken ct)
        {
            if (documents.Count == 0)
            {
                return 0;
            }

            var type = documents[0].Document.GetType();
            var (table, guidVersion) = await TableAsync(type, ct);
            var target = replace ? table : "mt_build_staging";
            if (!replace)
            {
                await ExecuteAsync(connection,
                    $"create temporary table if not exists mt_build_staging (id uuid, data jsonb, mt_dotnet_type varchar, mt_version_long bigint, mt_version_guid uuid) on commit drop; truncate mt_build_staging", ct);
            }

            var version = replace ? "mt_version" : guidVersion ? "mt_version_guid" : "mt_version_long";
            await using (var copy = await connection.BeginBinaryImportAsync($"copy {target} (id, data, mt_dotnet_type, {version}) from stdin (format binary)", ct))
            {
                foreach (var d in documents)
                {
                    await copy.StartRowAsync(ct);
                    await copy.WriteAsync(d.Id, NpgsqlDbType.Uuid, ct);
                    await copy.WriteAsync(_serializer.ToJson(d.Document), NpgsqlDbType.Jsonb, ct);
                    await copy.WriteAsync(type.FullName!, NpgsqlDbType.Varchar, ct);
                    if (guidVersion)
                    {
                        await copy.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid, ct);
                    }
                    else
                    {
                        await copy.WriteAsync(d.Revision, NpgsqlDbType.Bigint, ct);
                    }
                }

                await copy.CompleteAsync(ct);
            }

            if (!replace)
            {
                var source = guidVersion ? "mt_version_guid" : "mt_version_long";
                await ExecuteAsync(connection,
                    $"insert into {table} (id, data, mt_dotnet_type, mt_version, mt_last_modified) " +
                    $"select id, data, mt_dotnet_type, {source}, transaction_timestamp() from mt_build_staging " +
                    "on conflict (id) do update set data = excluded.data, mt_dotnet_type = excluded.mt_dotnet_type, " +
                    "mt_version = excluded.mt_version, mt_last_modified = excluded.mt_last_modified", ct);
            }

            return documents.Count;
        }

        private async Task<(string Table, bool GuidVersion)> TableAsync(Type type, CancellationToken ct)
        {
            if (!_tables.TryGetValue(type, out var table))
            {
                var name = $"mt_doc_{type.Name.ToLowerInvariant()}";
                await using var command = new NpgsqlCommand(
                    "select data_type from information_schema.columns where table_schema = $1 and table_name = $2 and column_name = 'mt_version'", connection)
                {
                    Parameters = { new() { Value = options.DatabaseSchemaName }, new() { Value = name } },
                };
                var versionType = await command.ExecuteScalarAsync(ct) as string
                    ?? throw new InvalidOperationException($"no document table {options.DatabaseSchemaName}.{name}");
                _tables[type] = table = ($"{options.DatabaseSchemaName}.{name}", versionType == "uuid");
            }

            return table;
        }
    }
}
