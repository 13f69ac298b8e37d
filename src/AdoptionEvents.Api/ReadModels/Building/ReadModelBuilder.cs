using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Threading.Channels;
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

namespace AdoptionEvents.ReadModels.Building;

/// <summary>
/// What one build did: the events folded, up to which sequence (<see cref="Ceiling"/>: the newest event when it built an
/// inline projection, else the mark its async projections took), and the documents written per projection.
/// </summary>
public sealed record BuildReport(long From, long Ceiling, long Events, IReadOnlyDictionary<string, int> Documents, TimeSpan Duration)
{
    /// <summary>The events were folded as the caller appended them (see <see cref="ReadModelBuilder.Build.RunAsync"/>), not read back.</summary>
    public bool FoldedAsAppended { get; init; }
}

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

    // Three pages can be in memory at once (read, folded, written): small enough for the process to stay well under 1 GiB.
    private const int PageEvents = 10_000;

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

    private string LedgerName => ((StoreOptions)store.Options).Projections.All.OfType<JourneyLedgerProjection>().Single().Name;

    private IReadOnlyList<string> InlineNames => [JourneyName, EventIndexName, SiteStatusName, LedgerName];

    /// <summary>The document tables (schema-qualified) the projections write.</summary>
    public IReadOnlyList<string> TablesOf(IEnumerable<string> projections) =>
        [.. projections.SelectMany(DocumentTypesOf).Select(t => $"{((StoreOptions)store.Options).DatabaseSchemaName}.{DocumentWriter.TableOf(t)}")];

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
    /// health check restarts paused agents) waits for the build instead of writing beside it; its batch then fails on the
    /// moved mark, and <see cref="ShardRecovery"/> starts it again from there. Run it with
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
        // way (roll back, wait, try again) whenever a lock does not come at once, until every lock is held. Should it
        // fail or be cancelled meanwhile, the shards paused for it run again.
        try
        {
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
                }
                catch
                {
                    await connection.DisposeAsync();
                    throw;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100 * Math.Min(attempt, 10)), ct);
            }
        }
        catch
        {
            await ResumeAsync(daemon, projections);
            throw;
        }
    }

    /// <summary>Locks the document tables against writers (readers go on) and the projections' marks; returns the marks.</summary>
    private async Task<Dictionary<string, long>> LockAsync(NpgsqlConnection connection, IReadOnlyCollection<string> projections, CancellationToken ct)
    {
        var options = (StoreOptions)store.Options;
        await ExecuteAsync(connection, "set local lock_timeout = '500ms'", ct);
        var tables = projections.Where(Projections.Contains).SelectMany(DocumentTypesOf).Select(t => $"{options.DatabaseSchemaName}.{DocumentWriter.TableOf(t)}").ToList();
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
        /// (catching up after a bulk import), writes the documents and the marks, and commits. <paramref name="appended"/>:
        /// the events of new streams the caller has just appended, by stream; when they are every event the build has to
        /// fold, they are folded as they are instead of being read back and deserialised.
        /// </summary>
        public async Task<BuildReport> RunAsync(bool fromScratch, Action<BuildProgress>? progress, CancellationToken ct, IReadOnlyDictionary<Guid, IReadOnlyList<IEvent>>? appended = null)
        {
            if (_done)
            {
                throw new InvalidOperationException("this build has run already");
            }

            _done = true;
            var report = await builder.FoldAsync(projections, connection, fromScratch ? marks.ToDictionary(m => m.Key, _ => 0L) : marks, fromScratch, progress, appended, ct);
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

    private async Task<BuildReport> FoldAsync(List<string> projections, NpgsqlConnection connection, Dictionary<string, long> marks, bool fromScratch, Action<BuildProgress>? progress,
        IReadOnlyDictionary<Guid, IReadOnlyList<IEvent>>? appended, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var cpu = Environment.CpuUsage.TotalTime;
        var (gcPause, gcs, allocated) = (GC.GetTotalPauseDuration(), GC.CollectionCount(0), GC.GetTotalAllocatedBytes());
        var options = (StoreOptions)store.Options;
        var schema = options.Events.DatabaseSchemaName;
        var phases = new BuildPhases();

        // Inline projections are folded from the first event: their streams are locked, so every event is there.
        var inline = projections.Where(InlineNames.Contains).ToList();
        var from = inline.Count > 0 || marks.Count == 0 ? 0 : marks.Values.Min();
        var (newest, ceiling) = await CeilingAsync(connection, schema, from, ct);
        // For the same reason they are folded to the newest event, even past a hole the daemon's high-water mark has
        // not yet passed (at start it may not have run at all): an append still holding a number below it writes its
        // own inline documents when it commits. The async projections stop at the ceiling, which their marks take.
        var last = inline.Count > 0 ? newest : ceiling;
        var writer = new DocumentWriter(connection, options, phases, logger);

        // A projection at mark 0 has applied nothing: it is built like a rebuild (replaced whole, written straight by COPY, nothing to load).
        // Inline projections fold every journey stream from its first event, so their documents are replaced whole the same way.
        var scratch = marks.ToDictionary(m => m.Key, m => fromScratch || m.Value == 0);
        foreach (var p in inline)
        {
            scratch[p] = true;
        }

        // Only journey streams matter to these projections (organisation streams are skipped unread). A journey none of
        // whose events any projection has applied (its first event is past every mark) has no document yet: its pages are
        // folded from nothing and written straight into the tables, with nothing to load and nothing to upsert.
        var pages = await PagesAsync(connection, schema, from, last, [.. EventCatalogue.Entries.Select(e => e.Name)], marks.Count == 0 ? 0 : marks.Values.Max(), ct);
        var total = pages.Sum(p => p.Events);
        long folded = 0;
        var documents = projections.ToDictionary(p => p, _ => 0);
        progress?.Invoke(new BuildProgress(0, total));

        // Four stages side by side, a page or two apart: reading events (their own connection), deserialising them,
        // folding and serialising documents, and writing them on the build's transaction (PostgreSQL's work).
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var read = Channel.CreateBounded<(IReadOnlyList<IEvent> Events, bool Fresh)>(1);
        var written = Channel.CreateBounded<(long Events, List<DocumentBatch> Batches)>(1);
        var guidVersions = new Dictionary<Type, bool>();
        foreach (var type in projections.SelectMany(DocumentTypesOf))
        {
            guidVersions[type] = await writer.GuidVersionAsync(type, ct);
        }

        // Every event in range is one the caller wrote (no other writer's event came in between): no need to read them back.
        var inMemory = appended is not null && pages.All(p => p.Streams.All(appended.ContainsKey))
            && total == pages.Sum(p => p.Streams.Sum(s => appended[s].Count(e => e.Sequence > from && e.Sequence <= last)));
        var stages = Task.WhenAll(
            Task.Run(() => inMemory ? PagesFromAsync(appended!, pages, from, last, read.Writer, phases, stop.Token) : ReadPagesAsync(pages, from, last, read.Writer, phases, stop.Token), stop.Token),
            Task.Run(() => FoldPagesAsync(projections, marks, ceiling, scratch, guidVersions, read.Reader, written.Writer, phases, stop.Token), stop.Token));
        try
        {
            // Fresh tables for what is replaced whole, made while the first pages are read and folded.
            foreach (var type in scratch.Where(m => m.Value).SelectMany(m => DocumentTypesOf(m.Key)))
            {
                await writer.ReplaceAsync(type, ct);
            }

            var waiting = Stopwatch.GetTimestamp();
            await foreach (var (events, batches) in written.Reader.ReadAllAsync(ct))
            {
                phases.Add("writer waiting", waiting);
                foreach (var batch in batches)
                {
                    documents[batch.Projection] += await writer.WriteAsync(batch, ct);
                    batch.Rows.Dispose();
                }

                folded += events;
                progress?.Invoke(new BuildProgress(folded, total));
                waiting = Stopwatch.GetTimestamp();
            }

            await stages;
        }
        catch (Exception e)
        {
            // The other stages are stopped and awaited so none outlives the build's connections. A stage's own failure is
            // the one reported, rather than the closed channel that passed it on.
            await stop.CancelAsync();
            await stages.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            if (e is ChannelClosedException && stages.Exception?.InnerExceptions.FirstOrDefault(x => x is not OperationCanceledException) is { } cause)
            {
                ExceptionDispatchInfo.Throw(cause);
            }

            throw;
        }

        await writer.SwapAsync(ct);
        foreach (var (p, mark) in marks)
        {
            await SetMarkAsync(connection, schema, p, Math.Max(ceiling, mark), ct);
        }

        // The process's processor time says what the build cost apart from how busy the machine was.
        logger.LogInformation("Built {Projections} from event {From} to {Ceiling}: {Events} events folded, {Documents} documents written in {Seconds:F1} s, {Cpu:F1} s of processor time, {Allocated} MiB allocated, {Collections} collections pausing {Paused:F2} s ({Phases})",
            string.Join(", ", projections), from, last, folded, documents.Values.Sum(), watch.Elapsed.TotalSeconds, (Environment.CpuUsage.TotalTime - cpu).TotalSeconds,
            (GC.GetTotalAllocatedBytes() - allocated) >> 20, GC.CollectionCount(0) - gcs, (GC.GetTotalPauseDuration() - gcPause).TotalSeconds, phases);
        return new BuildReport(from, last, folded, documents, watch.Elapsed) { FoldedAsAppended = inMemory };
    }

    /// <summary>The document types a projection stores.</summary>
    private IReadOnlyList<Type> DocumentTypesOf(string projection) => projection switch
    {
        Configuration.InnovationSummaries => [typeof(InnovationSummary), typeof(SummarySite), typeof(BarrierEntry), typeof(SummaryMetric)],
        Configuration.SiteRegister => [typeof(SiteAdoption)],
        Configuration.ObservedMetrics => [typeof(ObservedMetric)],
        _ when projection == JourneyName => [typeof(Journey)],
        _ when projection == SiteStatusName => [typeof(SiteStatus)],
        _ when projection == LedgerName => [typeof(JourneyLedger)],
        _ => [typeof(IndexedEvent), typeof(CausalEdge)],
    };

    /// <summary>The pages' events, in order, from those the caller wrote: as they were stored, without the round trip.</summary>
    private static async Task PagesFromAsync(IReadOnlyDictionary<Guid, IReadOnlyList<IEvent>> appended, List<Page> pages, long from, long ceiling,
        ChannelWriter<(IReadOnlyList<IEvent> Events, bool Fresh)> output, BuildPhases phases, CancellationToken ct)
    {
        try
        {
            foreach (var page in pages)
            {
                var started = Stopwatch.GetTimestamp();
                IEvent[] events = [.. page.Streams.SelectMany(s => appended[s]).Where(e => e.Sequence > from && e.Sequence <= ceiling).OrderBy(e => e.Sequence)];
                phases.Add("from memory", started);
                await output.WriteAsync((events, page.Fresh), ct);
            }

            output.Complete();
        }
        catch (Exception e)
        {
            output.Complete(e);
            throw;
        }
    }

    /// <summary>
    /// Reads the pages' events in order, on a connection of its own, into the channel: the next page's rows are read
    /// while the last page's bodies are deserialised.
    /// </summary>
    private async Task ReadPagesAsync(List<Page> pages, long from, long ceiling, ChannelWriter<(IReadOnlyList<IEvent> Events, bool Fresh)> output, BuildPhases phases, CancellationToken ct)
    {
        var reader = new EventReader((StoreOptions)store.Options);
        var rows = Channel.CreateBounded<(EventReader.Rows Rows, bool Fresh)>(1);
        async Task FetchAsync()
        {
            try
            {
                await using var connection = store.Storage.Database.CreateConnection();
                await connection.OpenAsync(ct);
                foreach (var page in pages)
                {
                    var started = Stopwatch.GetTimestamp();
                    var read = await reader.ReadRowsAsync(connection, page.Streams, from, ceiling, ct);
                    phases.Add("read", started);
                    await rows.Writer.WriteAsync((read, page.Fresh), ct);
                }

                rows.Writer.Complete();
            }
            catch (Exception e)
            {
                rows.Writer.Complete(e);
                throw;
            }
        }

        var fetching = Task.Run(FetchAsync, ct);
        try
        {
            await foreach (var (read, fresh) in rows.Reader.ReadAllAsync(ct))
            {
                var started = Stopwatch.GetTimestamp();
                IEvent[] events;
                using (read)
                {
                    events = reader.Deserialise(read, ct);
                }

                phases.Add("deserialise", started);
                await output.WriteAsync((events, fresh), ct);
            }

            await fetching;
            output.Complete();
        }
        catch (Exception e)
        {
            output.Complete(e);
            throw;
        }
    }

    /// <summary>Folds each page of events through the projections and serialises the documents, into the channel.</summary>
    private async Task FoldPagesAsync(List<string> projections, Dictionary<string, long> marks, long ceiling, Dictionary<string, bool> scratch, Dictionary<Type, bool> guidVersions,
        ChannelReader<(IReadOnlyList<IEvent> Events, bool Fresh)> input, ChannelWriter<(long Events, List<DocumentBatch> Batches)> output, BuildPhases phases, CancellationToken ct)
    {
        try
        {
            var options = (StoreOptions)store.Options;
            var serializer = options.Serializer();
            // A document's Guid version only has to differ from its earlier ones, so one per build serves every document it
            // writes: a fresh one per row cost a cryptographic random number each.
            var version = Guid.CreateVersion7();
            var typeNames = guidVersions.Keys.ToDictionary(t => t, t => Encoding.UTF8.GetBytes(t.FullName!));
            var buffers = guidVersions.Keys.ToDictionary(t => t, _ => new BufferPool<byte>());
            var duplicated = guidVersions.Keys.ToDictionary(t => t, t => DuplicatedColumns.For(options, t));
            // Registered as a plain IProjection, so Marten holds it in a wrapper.
            var summaries = options.Projections.All.OfType<JasperFx.Events.Projections.IProjectionWrapper>().Select(w => w.InnerProjection).OfType<InnovationSummaryProjection>().Single();
            var register = options.Projections.All.OfType<SiteAdoptionProjection>().Single();
            var siteStatuses = options.Projections.All.OfType<SiteStatusProjection>().Single();
            var siteIds = new SiteIds();
            await foreach (var (events, fresh) in input.ReadAllAsync(ct))
            {
                // Folded from nothing: a projection being replaced whole, or a page of journeys no projection has met yet.
                var fromNothing = scratch.ToDictionary(m => m.Key, m => m.Value || fresh);
                var folded = new List<(string Projection, Type Type, List<Built> Built, IReadOnlyList<Guid> Removed)>();
                void Add(string p, Type type, List<Built> built, IReadOnlyList<Guid>? removed = null) => folded.Add((p, type, built, removed ?? []));

                if (projections.Contains(JourneyName))
                {
                    Add(JourneyName, typeof(Journey), phases.Time("fold " + JourneyName, () => FoldJourneys(events)));
                }

                if (projections.Contains(SiteStatusName))
                {
                    Add(SiteStatusName, typeof(SiteStatus), phases.Time("fold " + SiteStatusName, () => FoldSiteStatus(siteStatuses, events, siteIds)));
                }

                if (projections.Contains(LedgerName))
                {
                    Add(LedgerName, typeof(JourneyLedger), phases.Time("fold " + LedgerName, () => FoldLedgers(events)));
                }

                if (projections.Contains(EventIndexName))
                {
                    var (indexed, edges) = phases.Time("fold " + EventIndexName, () => FoldIndex(events));
                    Add(EventIndexName, typeof(IndexedEvent), indexed);
                    Add(EventIndexName, typeof(CausalEdge), edges);
                }

                if (projections.Contains(Configuration.InnovationSummaries))
                {
                    var p = Configuration.InnovationSummaries;
                    var applying = events.Where(e => e.Sequence > marks[p] && e.Sequence <= ceiling).ToList();
                    var folding = Stopwatch.GetTimestamp();
                    var changes = await FoldSummariesAsync(summaries, applying, fromNothing[p], ct);
                    phases.Add("fold " + p, folding);
                    var versions = LastVersions(applying);
                    Add(p, typeof(InnovationSummary), [.. changes.Summaries.Select(d => new Built(d.Id, d, versions[d.Id]))]);
                    Add(p, typeof(SummarySite), [.. changes.Sites.Select(d => new Built(d.Id, d, 0))], changes.RemovedSites);
                    Add(p, typeof(BarrierEntry), [.. changes.Barriers.Select(d => new Built(d.EventId, d, 0))], changes.RemovedBarriers);
                    Add(p, typeof(SummaryMetric), [.. changes.Metrics.Select(d => new Built(d.Id, d, 0))], changes.RemovedMetrics);
                }

                if (projections.Contains(Configuration.SiteRegister))
                {
                    var p = Configuration.SiteRegister;
                    var applying = events.Where(e => e.Sequence > marks[p] && e.Sequence <= ceiling).ToList();
                    var folding = Stopwatch.GetTimestamp();
                    var (built, removed) = await FoldRegisterAsync(register, applying, fromNothing[p], siteIds, ct);
                    phases.Add("fold " + p, folding);
                    Add(p, typeof(SiteAdoption), built, removed);
                }

                if (projections.Contains(Configuration.ObservedMetrics))
                {
                    var p = Configuration.ObservedMetrics;
                    var applying = events.Where(e => e.Sequence > marks[p] && e.Sequence <= ceiling).ToList();
                    var folding = Stopwatch.GetTimestamp();
                    var built = await FoldMetricsAsync(applying, fromNothing[p], ct);
                    phases.Add("fold " + p, folding);
                    Add(p, typeof(ObservedMetric), built);
                }

                // Each type's documents are serialised on a core of their own, straight into the rows COPY sends.
                var started = Stopwatch.GetTimestamp();
                var batches = new DocumentBatch[folded.Count];
                Parallel.For(0, folded.Count, new ParallelOptions { CancellationToken = ct }, i =>
                {
                    var (p, type, built, removed) = folded[i];
                    var columns = duplicated[type];
                    var rows = new CopyRows(buffers[type], columns.Names.Count);
                    Guid? guidVersion = guidVersions[type] ? version : null;
                    foreach (var document in built)
                    {
                        rows.StartRow(document.Id);
                        serializer.WriteTo(rows, document.Document);
                        rows.EndRow(typeNames[type], guidVersion, document.Revision);
                        columns.Write(rows, document.Document);
                    }

                    var mode = scratch[p] ? WriteMode.Replace : fresh ? WriteMode.Insert : WriteMode.Upsert;
                    batches[i] = new DocumentBatch(p, type, rows, mode, columns) { Removed = removed };
                });
                phases.Add("serialise", started);
                await output.WriteAsync((events.Count, [.. batches]), ct);
            }

            output.Complete();
        }
        catch (Exception e)
        {
            output.Complete(e);
            throw;
        }
    }

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
    /// The newest visible event, and the highest sequence below which no event can still commit (the ceiling): the
    /// newest event when every number after <paramref name="from"/> up to it is taken (no transaction can fill a hole
    /// later), else the daemon's high-water mark (Marten's own judgement of gaps).
    /// </summary>
    private static async Task<(long Newest, long Ceiling)> CeilingAsync(NpgsqlConnection connection, string schema, long from, CancellationToken ct)
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
        return (newest, newest - from == count ? newest : Math.Max(from, Math.Min(newest, highWater)));
    }

    /// <summary>Whole streams of about <see cref="PageEvents"/> events; fresh when none of their events is at or before any projection's mark.</summary>
    private sealed record Page(List<Guid> Streams, long Events, bool Fresh);

    /// <summary>
    /// The streams with events in (from, ceiling], in pages of whole streams of about <see cref="PageEvents"/> events:
    /// first the pages of streams that are fresh (their first event is past <paramref name="freshAfter"/>), then the rest.
    /// </summary>
    private static async Task<List<Page>> PagesAsync(NpgsqlConnection connection, string schema, long from, long ceiling, string[] types, long freshAfter, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"select stream_id, count(*), min(version) = 1 and min(seq_id) > $4 from {schema}.mt_events " +
            "where seq_id > $1 and seq_id <= $2 and type = any($3) group by stream_id order by stream_id", connection)
        {
            Parameters = { new() { Value = from }, new() { Value = ceiling }, new() { Value = types }, new() { Value = freshAfter } },
        };
        var pages = new List<Page>();
        Page fresh = new([], 0, true), known = new([], 0, false);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            ref var current = ref reader.GetBoolean(2) ? ref fresh : ref known;
            current.Streams.Add(reader.GetGuid(0));
            current = current with { Events = current.Events + reader.GetInt64(1) };
            if (current.Events >= PageEvents)
            {
                pages.Add(current);
                current = new Page([], 0, current.Fresh);
            }
        }

        pages.AddRange(new[] { fresh, known }.Where(p => p.Streams.Count > 0));
        return [.. pages.OrderByDescending(p => p.Fresh)];
    }

    private static List<Built> FoldJourneys(IReadOnlyList<IEvent> events)
    {
        var built = new List<Built>();
        foreach (var stream in events.GroupBy(e => e.StreamId))
        {
            if (JourneyProjection.Stored(stream) is { } state)
            {
                built.Add(new Built(stream.Key, state, stream.Last().Version));
            }
        }

        return built;
    }

    private static List<Built> FoldLedgers(IReadOnlyList<IEvent> events)
    {
        var built = new List<Built>();
        foreach (var stream in events.GroupBy(e => e.StreamId))
        {
            var facts = stream.Where(e => e.Data is JourneyEvent fact && JourneyLedger.Changes(fact)).ToList();
            if (facts.Count > 0 && JourneyLedger.Stored(stream.Key, facts.Select(e => (e.Id, (JourneyEvent)e.Data))) is { } ledger)
            {
                built.Add(new Built(stream.Key, ledger, facts[^1].Sequence));
            }
        }

        return built;
    }

    private static List<Built> FoldSiteStatus(SiteStatusProjection projection, IReadOnlyList<IEvent> events, SiteIds siteIds)
    {
        var documents = new Dictionary<Guid, (SiteStatus? Document, long Sequence)>();
        foreach (var e in events)
        {
            // As the inline projection routes them: a fact that cannot move a site's state (staff trained ...) goes nowhere.
            if (e.Data is not JourneyEvent fact || SiteStatus.SiteMovedBy(fact) is not { } site)
            {
                continue;
            }

            var id = siteIds.Of(fact.InnovationId, site);
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
            var (entries, asserted) = EventIndexProjection.DocumentsOf(stream.Key, [.. stream.Where(e => e.Data is JourneyEvent).Select(e => (e.Id, (JourneyEvent)e.Data))]);
            indexed.AddRange(entries.Select(entry => new Built(entry.Id, entry, 0)));
            edges.AddRange(asserted.Select(edge => new Built(edge.Id, edge, 0)));
        }

        return (indexed, edges);
    }

    /// <summary>Onto what is stored (read as <see cref="SummaryBatch"/> reads it in the daemon), or from nothing.</summary>
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

    private static Dictionary<Guid, long> LastVersions(List<IEvent> events)
    {
        var versions = new Dictionary<Guid, long>();
        foreach (var e in events)
        {
            versions[e.StreamId] = e.Version;
        }

        return versions;
    }

    /// <summary>The register's documents the events change, and those they leave with nothing recorded (a site whose only change was retracted).</summary>
    private async Task<(List<Built> Built, List<Guid> Removed)> FoldRegisterAsync(SiteAdoptionProjection projection, List<IEvent> events, bool fromScratch, SiteIds siteIds, CancellationToken ct)
    {
        var sites = events.Select(e => (Event: e, Site: e.Data is JourneyEvent fact ? SiteAdoptionProjection.SiteOf(fact) : null)).Where(s => s.Site is not null).ToList();
        var stored = fromScratch ? new Dictionary<Guid, SiteAdoption>() : await LoadAsync<SiteAdoption>(sites.Select(s => siteIds.Of(s.Event.StreamId, s.Site!.Value)).Distinct(), d => d.Id, ct);
        var documents = new Dictionary<Guid, (SiteAdoption? Document, long Sequence)>();
        foreach (var (e, site) in sites)
        {
            var fact = (JourneyEvent)e.Data;
            if (fact.InnovationId != e.StreamId)
            {
                // Documents are folded per stream: an event about another journey's site would need the whole log in order.
                throw new InvalidOperationException($"event {e.Id} in stream {e.StreamId} names innovation {fact.InnovationId}");
            }

            var id = siteIds.Of(fact.InnovationId, site!.Value);
            var before = documents.TryGetValue(id, out var known) ? known.Document : stored.GetValueOrDefault(id);
            documents[id] = (projection.Next(before, id, e), e.Sequence);
        }

        return ([.. documents.Where(d => d.Value.Document is not null).Select(d => new Built(d.Key, d.Value.Document!, d.Value.Sequence))],
            [.. documents.Where(d => d.Value.Document is null && stored.ContainsKey(d.Key)).Select(d => d.Key)]);
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

    /// <summary>
    /// The document id of each (innovation, site) a build meets, worked out once: it is a SHA-256 (<see cref="SiteStatus.IdFor"/>,
    /// which <see cref="SiteAdoption.IdFor"/> also gives, so one id serves the site's status and its register entry), and
    /// folds ask for it at every event about the site.
    /// </summary>
    private sealed class SiteIds
    {
        private readonly Dictionary<(Guid Innovation, Guid Site), Guid> _ids = [];

        public Guid Of(Guid innovationId, Guid siteId)
        {
            if (!_ids.TryGetValue((innovationId, siteId), out var id))
            {
                _ids[(innovationId, siteId)] = id = SiteStatus.IdFor(innovationId, siteId);
            }

            return id;
        }
    }

    /// <summary>A folded document with the revision Marten keeps for it (stream version or event sequence).</summary>
    private sealed record Built(Guid Id, object Document, long Revision);
}
