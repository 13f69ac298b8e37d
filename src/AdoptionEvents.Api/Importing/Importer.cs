using System.Diagnostics;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Audit;
using AdoptionEvents.Journeys.Recording;
using AdoptionEvents.Organisations;
using AdoptionEvents.ReadModels.Building;
using JasperFx.Events;
using Marten;
using Weasel.Core;

namespace AdoptionEvents.Importing;

public enum BulkMode
{
    /// <summary>Bulk for new journeys when the file is large (see <see cref="Importer.BulkThreshold"/>).</summary>
    Auto,
    Always,
    Never,
}

/// <summary>How an import runs.</summary>
/// <param name="User">Who the written events name as having recorded them.</param>
/// <param name="Bulk">Whether new journeys go through the bulk COPY path.</param>
/// <param name="CorrelationId">The correlation id every written event carries (a job's id by default).</param>
/// <param name="Stop">When requested, the import stops at its next safe point (see <see cref="StopRequest"/>).</param>
public sealed record ImportOptions(string User, BulkMode Bulk = BulkMode.Auto, string? CorrelationId = null, StopRequest? Stop = null);

/// <summary>
/// A request to stop an import at its next safe point: before anything is written, between journeys, or between
/// chunks on the bulk path. What was written by then stays whole, its read models built; the rest is not written.
/// </summary>
public sealed class StopRequest
{
    private volatile bool _requested;

    public bool Requested => _requested;

    public void Request() => _requested = true;
}

/// <summary>How far an import has got; reported as it goes.</summary>
public sealed record ImportProgress(string Phase, int JourneysTotal, int JourneysDone, int EventsTotal, int EventsWritten, int EventsSkipped);

public enum JourneyOutcome
{
    Written,
    Extended,
    Unchanged,
    Refused,

    /// <summary>Not reached: the import was stopped before it (<see cref="StopRequest"/>).</summary>
    NotWritten,
}

/// <summary>What the import did with one journey of the file.</summary>
public sealed record JourneyReport(string Key, Guid InnovationId, string Name, int EventsInFile, int EventsWritten, int EventsSkipped, JourneyOutcome Outcome, IReadOnlyList<ImportProblem> Problems);

public enum ImportOutcome
{
    Succeeded,
    Refused,
    PartlyWritten,

    /// <summary>Cancelled: stopped on request, the journeys written before the stop whole, the others not written.</summary>
    Cancelled,
}

public sealed record ImportReport(
    ImportOutcome Outcome,
    string Format,
    int OrganisationsCreated,
    int EventsWritten,
    int EventsSkipped,
    bool BulkPath,
    TimeSpan Duration,
    IReadOnlyDictionary<string, double> PhaseSeconds,
    IReadOnlyList<ImportProblem> Problems,
    IReadOnlyList<JourneyReport> Journeys);

/// <summary>
/// The shell around <see cref="ImportValidation"/>: loads what the store knows, refuses the whole file
/// when any problem is found (nothing written), then writes organisations and each journey atomically
/// (one transaction per journey), skipping events whose id is already stored. New journeys of a large
/// file go through a bulk COPY (<see cref="EventCopy"/>), which runs no inline projections: the import then stores the
/// documents those projections would have made (journey snapshot, event index, causal edges,
/// organisation snapshots) by folding the same pure functions.
/// </summary>
public sealed class Importer(IDocumentStore store, TimeProvider clock, IServiceProvider services, ILogger<Importer> logger)
{
    public const int BulkThreshold = 2_000;
    private const int Chunk = 5_000;

    public async Task<ImportReport> ImportAsync(ImportBatch batch, ImportOptions options, Action<ImportProgress>? progress, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var phases = new Dictionary<string, double>();
        var lap = TimeSpan.Zero;
        void Phase(string name)
        {
            phases[name] = Math.Round((watch.Elapsed - lap).TotalSeconds, 2);
            lap = watch.Elapsed;
        }

        var total = batch.EventCount;
        void Report(string phase, int done, int written, int skipped) =>
            progress?.Invoke(new ImportProgress(phase, batch.Journeys.Count, done, total, written, skipped));

        Report("validating", 0, 0, 0);
        var (knowledge, stored, existingJourneys, existingOrganisations) = await LoadAsync(batch, ct);
        Phase("load");
        var problems = ImportValidation.Check(batch, knowledge, clock.GetUtcNow(), options.User, out batch);
        Phase("validate");
        if (problems.Count > 0)
        {
            logger.LogWarning("Import of a {Format} file refused: {Count} problems, first: {First}", batch.Format, problems.Count, problems[0]);
            return Refused(batch, problems, watch);
        }

        bool Stopping() => options.Stop?.Requested == true;
        if (Stopping())
        {
            return Stopped(batch, [], [], false, watch, phases);
        }

        var newOrganisations = batch.Organisations.Where(o => !existingOrganisations.Contains(o.Id)).ToList();
        var newJourneys = batch.Journeys.Where(j => !existingJourneys.Contains(j.InnovationId)).ToList();
        var bulk = options.Bulk == BulkMode.Always
            || (options.Bulk == BulkMode.Auto && newJourneys.Sum(j => j.Events.Count) >= BulkThreshold);
        Report("writing", 0, 0, 0);

        // The bulk path builds the async read models itself at the end: their daemon shards wait meanwhile instead of competing for the cores.
        var builder = ActivatorUtilities.CreateInstance<ReadModelBuilder>(services);
        await using var readModels = bulk ? await builder.BeginAsync(ReadModelBuilder.Projections, ct) : null;
        await WriteOrganisationsAsync(newOrganisations, bulk, options, ct);
        Phase("organisations");
        var reports = new List<JourneyReport>();
        int written = 0, skipped = 0;
        // What the bulk path wrote, by stream: the read models are folded from these instead of reading them back.
        var copied = new Dictionary<Guid, IReadOnlyList<IEvent>>();
        if (bulk && newJourneys.Count > 0)
        {
            // A chunk is sealed and folded (on both cores) while the one before it is being copied in.
            var timings = new BulkTimings();
            await using var session = Session(options);
            (List<ImportedJourney> Journeys, Task Copy)? copying = null;
            async Task WrittenAsync(List<ImportedJourney> chunk, Task copy)
            {
                await copy;
                if (reports.Count == 0)
                {
                    await AnalyseAsync(ct);
                }

                foreach (var j in chunk)
                {
                    reports.Add(new JourneyReport(j.Key, j.InnovationId, j.Name, j.Events.Count, j.Events.Count, 0, JourneyOutcome.Written, []));
                    written += j.Events.Count;
                }

                Report("writing", reports.Count, written, skipped);
            }

            try
            {
                foreach (var chunk in ChunkByEvents(newJourneys))
                {
                    if (Stopping())
                    {
                        break;
                    }

                    var prepared = await Task.Run(() => Prepare(session, chunk, options, timings), ct);
                    if (copying is { } previous)
                    {
                        copying = null;
                        await WrittenAsync(previous.Journeys, previous.Copy);
                    }

                    if (Stopping())
                    {
                        // The chunk just prepared is not written.
                        break;
                    }

                    copying = (chunk, CopyAsync(prepared, timings, ct));
                    foreach (var action in prepared.Actions)
                    {
                        copied[action.Id] = action.Events;
                    }
                }

                if (copying is { } last)
                {
                    copying = null;
                    await WrittenAsync(last.Journeys, last.Copy);
                }
            }
            finally
            {
                // Not left running after a failure: the error surfaces once the copy has stopped.
                if (copying is { } abandoned)
                {
                    await abandoned.Copy.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                }
            }

            phases["journeys: sealing and folding"] = Math.Round(timings.Preparing.TotalSeconds, 2);
            phases["journeys: copy"] = Math.Round(timings.Copy.TotalSeconds, 2);
        }

        foreach (var journey in bulk ? batch.Journeys.Where(j => existingJourneys.Contains(j.InnovationId)) : batch.Journeys)
        {
            if (Stopping())
            {
                break;
            }

            var report = await WriteJourneyAsync(journey, stored, knowledge, existingJourneys.Contains(journey.InnovationId), options, ct);
            reports.Add(report);
            written += report.EventsWritten;
            skipped += report.EventsSkipped;
            Report("writing", reports.Count, written, skipped);
        }

        Phase("journeys");
        if (bulk && written > 0)
        {
            var schema = store.Options.Events.DatabaseSchemaName;
            // The inline projections' documents (decision state, site states, event index) and the organisations, then the read models'.
            await VacuumAsync([$"{schema}.mt_events", $"{schema}.mt_streams", .. builder.TablesOf(builder.All.Except(ReadModelBuilder.Projections)),
                $"{store.Options.DatabaseSchemaName}.{DocumentWriter.TableOf(typeof(Organisation))}"], ct);
            Phase("vacuum");
            var built = await readModels!.RunAsync(fromScratch: false, null, ct, copied);
            await VacuumAsync(builder.TablesOf(ReadModelBuilder.Projections), ct);
            Phase(built.FoldedAsAppended ? "read models (folded as written)" : "read models");
        }

        var refused = reports.Where(r => r.Outcome == JourneyOutcome.Refused).ToList();
        if (reports.Count < batch.Journeys.Count)
        {
            logger.LogInformation("Import of a {Format} file stopped on request after {Journeys} of {Total} journeys ({Written} events written)",
                batch.Format, reports.Count, batch.Journeys.Count, written);
            return Stopped(batch, reports, refused, bulk, watch, phases, newOrganisations.Count, written, skipped);
        }

        var outcome = refused.Count == 0 ? ImportOutcome.Succeeded : ImportOutcome.PartlyWritten;
        logger.LogInformation("Imported a {Format} file: {Journeys} journeys, {Written} events written, {Skipped} already stored, {Organisations} organisations registered, in {Seconds:F1} s{Bulk}",
            batch.Format, reports.Count, written, skipped, newOrganisations.Count, watch.Elapsed.TotalSeconds, bulk ? " (bulk)" : "");
        return new ImportReport(outcome, batch.Format, newOrganisations.Count, written, skipped, bulk, watch.Elapsed, phases,
            [.. refused.SelectMany(r => r.Problems)], [.. reports.OrderBy(r => r.Key, StringComparer.Ordinal)]);
    }

    /// <summary>Stopped on request: the journeys reached as they were written, the others <see cref="JourneyOutcome.NotWritten"/>.</summary>
    private static ImportReport Stopped(ImportBatch batch, List<JourneyReport> reports, List<JourneyReport> refused, bool bulk, Stopwatch watch,
        Dictionary<string, double> phases, int organisations = 0, int written = 0, int skipped = 0)
    {
        var reached = reports.Select(r => r.InnovationId).ToHashSet();
        var journeys = reports.Concat(batch.Journeys.Where(j => !reached.Contains(j.InnovationId))
            .Select(j => new JourneyReport(j.Key, j.InnovationId, j.Name, j.Events.Count, 0, 0, JourneyOutcome.NotWritten, [])));
        return new ImportReport(ImportOutcome.Cancelled, batch.Format, organisations, written, skipped, bulk, watch.Elapsed, phases,
            [.. refused.SelectMany(r => r.Problems)], [.. journeys.OrderBy(r => r.Key, StringComparer.Ordinal)]);
    }

    /// <summary>Nothing written: every journey is refused, each listing the problems found in its events.</summary>
    private static ImportReport Refused(ImportBatch batch, IReadOnlyList<ImportProblem> problems, Stopwatch watch)
    {
        var journeyOf = new Dictionary<string, Guid>();
        foreach (var j in batch.Journeys)
        {
            foreach (var e in j.Events)
            {
                journeyOf.TryAdd(e.Origin, j.InnovationId);
            }
        }

        var byJourney = problems.Where(p => journeyOf.ContainsKey(p.Where)).ToLookup(p => journeyOf[p.Where]);
        return new(ImportOutcome.Refused, batch.Format, 0, 0, 0, false, watch.Elapsed, new Dictionary<string, double>(), problems,
            [.. batch.Journeys.Select(j => new JourneyReport(j.Key, j.InnovationId, j.Name, j.Events.Count, 0, 0, JourneyOutcome.Refused, [.. byJourney[j.InnovationId]]))]);
    }

    private async Task<(StoreKnowledge Knowledge, HashSet<Guid> Stored, HashSet<Guid> Journeys, HashSet<Guid> Organisations)> LoadAsync(ImportBatch batch, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var fileIds = batch.Journeys.SelectMany(j => j.Events).Select(e => e.Id).ToHashSet();
        var referenced = batch.Journeys.SelectMany(j => j.Events).SelectMany(e => e.Fact.ReferencedEvents()).Where(id => !fileIds.Contains(id)).ToHashSet();
        // One query for every id, and only the three fields the decisions need: on an empty store it finds nothing at once.
        var known = await KnownEvents.AmongAsync(session, [.. fileIds.Concat(referenced)], ct);

        var organisationIds = batch.Organisations.Select(o => o.Id)
            .Concat(batch.Organisations.SelectMany(o => o.References()))
            .Concat(batch.Journeys.SelectMany(j => j.Events).SelectMany(e => e.Fact.ReferencedOrganisations()).Select(r => r.Id))
            .ToHashSet();
        var organisations = new HashSet<Guid>();
        foreach (var ids in organisationIds.Chunk(Chunk))
        {
            organisations.UnionWith((await session.LoadManyAsync<Organisation>(ct, ids)).Select(o => o.Id));
        }

        var journeys = new HashSet<Guid>();
        foreach (var ids in batch.Journeys.Select(j => j.InnovationId).Chunk(Chunk))
        {
            journeys.UnionWith((await session.LoadManyAsync<Journey>(ct, ids)).Select(j => j.Id));
        }

        var knowledge = new StoreKnowledge(known, organisations);
        return (knowledge, known.Keys.Where(fileIds.Contains).ToHashSet(), journeys, organisations);
    }

    private async Task WriteOrganisationsAsync(List<ImportedOrganisation> organisations, bool bulk, ImportOptions options, CancellationToken ct)
    {
        if (organisations.Count == 0)
        {
            return;
        }

        await using var session = Session(options);
        if (bulk)
        {
            var actions = organisations.Select(o => StreamAction.Start(o.Id, [.. o.History().Select(e => Stamp(session.Events.BuildEvent(e), options, null, o.Id))])).ToList();
            await EventCopyAsync(actions, typeof(Organisation), ct);
            var documents = organisations.Select(o => o.History().Skip(1).Aggregate(Organisation.Create((OrganisationRegistered)o.History().First()), Apply)
                with { Version = o.History().Count() }).ToList();
            await store.BulkInsertAsync(documents, BulkInsertMode.InsertsOnly, Chunk, ct);
            return;
        }

        foreach (var o in organisations)
        {
            session.Events.StartStream<Organisation>(o.Id, [.. o.History()]);
        }

        await session.SaveChangesAsync(ct);
    }

    private static Organisation Apply(Organisation o, object e) => e switch
    {
        OrganisationRenamed r => o.Apply(r),
        MembershipStarted m => o.Apply(m),
        MembershipEnded m => o.Apply(m),
        OrganisationSucceeded s => o.Apply(s),
        _ => o,
    };

    /// <summary>A chunk ready for COPY: its sealed streams, and the documents the inline projections would have stored.</summary>
    private sealed record PreparedChunk(List<StreamAction> Actions, List<object> Documents);

    /// <summary>Journeys are independent (each has its own hash chain and state), so they are prepared in parallel and kept in order.</summary>
    private static PreparedChunk Prepare(IDocumentSession session, List<ImportedJourney> journeys, ImportOptions options, BulkTimings timings)
    {
        var watch = Stopwatch.StartNew();
        var actions = new StreamAction[journeys.Count];
        var documents = new List<object>[journeys.Count];
        Parallel.For(0, journeys.Count, i => (actions[i], documents[i]) = PrepareJourney(session, journeys[i], options));
        timings.Preparing += watch.Elapsed;
        return new PreparedChunk([.. actions], [.. documents.SelectMany(d => d)]);
    }

    /// <summary>
    /// Bulk insert skips inline projections: the documents JourneyProjection, SiteStatusProjection,
    /// JourneyLedgerProjection and EventIndexProjection would have stored. Sealing and folding do not depend
    /// on each other until the snapshot takes the last hash, so a long journey does both at once.
    /// </summary>
    private static (StreamAction Action, List<object> Documents) PrepareJourney(IDocumentSession session, ImportedJourney journey, ImportOptions options)
    {
        List<IEvent> events = [];
        var documents = new List<object>(journey.Events.Count + 16);
        Journey? state = null;
        Parallel.Invoke(
            () => events = Sealed(session, journey, journey.Events, options, 0, null),
            () =>
            {
                foreach (var e in journey.Events)
                {
                    state = Journey.After(state, e.Id, e.Fact);
                }

                var (entries, edges) = EventIndexProjection.DocumentsOf(journey.InnovationId, [.. journey.Events.Select(e => (e.Id, e.Fact))]);
                documents.AddRange(entries);
                documents.AddRange(edges);
            });
        if (state is not null)
        {
            documents.Add(state with { LastHash = TamperSeal.HashOf(events[^1]) });
            documents.AddRange(state.Sites.Values);
            if (JourneyLedger.Stored(state.Id, journey.Events.Select(e => (e.Id, e.Fact))) is { } ledger)
            {
                documents.Add(ledger);
            }
        }

        return (StreamAction.Start(journey.InnovationId, [.. events]), documents);
    }

    /// <summary>Events and documents go in side by side: two COPY streams keep both cores busy.</summary>
    private async Task CopyAsync(PreparedChunk chunk, BulkTimings timings, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(
            EventCopyAsync(chunk.Actions, typeof(Journey), ct),
            store.BulkInsertDocumentsAsync(chunk.Documents, BulkInsertMode.InsertsOnly, Chunk, ct));
        timings.Copy += watch.Elapsed;
        logger.LogDebug("Bulk COPY of {Events} events and {Documents} documents in {Seconds:F1} s",
            chunk.Actions.Sum(a => a.Events.Count), chunk.Documents.Count, watch.Elapsed.TotalSeconds);
    }

    private Task EventCopyAsync(IReadOnlyList<StreamAction> streams, Type aggregate, CancellationToken ct)
    {
        var events = (Marten.Events.EventGraph)store.Options.Events;
        return new EventCopy(store).WriteAsync(streams, events.AggregateAliasFor(aggregate), clock.GetUtcNow(), ct);
    }

    /// <summary>
    /// After COPY the planner's statistics still describe the empty tables, and the daemon's page query
    /// (a seq_id range joined to the streams) then reads the whole unread range for every page of 500
    /// (measured: 300 ms a page instead of 1.5 ms). Analysed after the first chunk; at the end, the vacuum analyses.
    /// </summary>
    /// <summary>
    /// What the bulk path wrote is vacuumed and analysed before anything reads it, as PostgreSQL advises after a bulk
    /// load: its pages marked all-visible and their rows' hint bits set once, here, rather than by the first readers,
    /// and the autovacuum such inserts set off has nothing left to do. That autovacuum otherwise ran for seconds after
    /// the import, beside whatever came next, and held the tables a rebuild swaps (measured: a rebuild right after an
    /// import waited 1.9 s for it).
    /// </summary>
    private async Task VacuumAsync(IEnumerable<string> tables, CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var vacuum = new Npgsql.NpgsqlCommand($"vacuum (analyze) {string.Join(", ", tables)}", connection) { CommandTimeout = 0 };
        await vacuum.ExecuteNonQueryAsync(ct);
    }

    private async Task AnalyseAsync(CancellationToken ct)
    {
        var schema = store.Options.Events.DatabaseSchemaName;
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var analyse = new Npgsql.NpgsqlCommand($"analyze {schema}.mt_events; analyze {schema}.mt_streams", connection);
        await analyse.ExecuteNonQueryAsync(ct);
    }

    private async Task<JourneyReport> WriteJourneyAsync(ImportedJourney journey, HashSet<Guid> stored, StoreKnowledge knowledge, bool exists, ImportOptions options, CancellationToken ct)
    {
        var fresh = journey.Events.Where(e => !stored.Contains(e.Id)).ToList();
        var skipped = journey.Events.Count - fresh.Count;
        if (fresh.Count == 0)
        {
            return new JourneyReport(journey.Key, journey.InnovationId, journey.Name, journey.Events.Count, 0, skipped, JourneyOutcome.Unchanged, []);
        }

        await using var session = Session(options);
        if (!exists)
        {
            session.Events.StartStream<Journey>(journey.InnovationId, [.. Sealed(session, journey, fresh, options, 0, null)]);
            await session.SaveChangesAsync(ct);
            return new JourneyReport(journey.Key, journey.InnovationId, journey.Name, journey.Events.Count, fresh.Count, skipped, JourneyOutcome.Written, []);
        }

        // The journey has moved on in the store: decide the file's new facts against its current state, under its lock.
        var stream = await session.Events.FetchForExclusiveWriting<Journey>(journey.InnovationId, ct);
        var events = new Dictionary<Guid, KnownEvent>(knowledge.Events);
        foreach (var e in journey.Events)
        {
            // The file's own events with their content, stored already or not: a retraction of a site fact reads it.
            events[e.Id] = KnownEvent.Of(e.Id, journey.InnovationId, e.Fact);
        }

        var context = new DecisionContext(events, new HashSet<Guid>(knowledge.Organisations.Concat(fresh.SelectMany(e => e.Fact.ReferencedOrganisations()).Select(r => r.Id))), new HashSet<Guid>());
        var state = stream.Aggregate is { } current ? await JourneyWriter.InPlayAsync(session, current, [.. fresh.Select(e => e.Fact)], context, ct) : null;

        // A file holds its journey from the first event: the corrections stored already leave the facts they name as they stand now.
        Dictionary<Guid, JourneyEvent>? amended = null;
        var freshIds = fresh.Select(e => e.Id).ToHashSet();
        foreach (var e in journey.Events.Where(e => !freshIds.Contains(e.Id)))
        {
            CorrectedFact.Remember(ref amended, context with { Amended = amended }, e.Fact);
        }

        for (var i = 0; i < fresh.Count; i++)
        {
            context = context with { Amended = amended };
            var e = fresh[i];
            var decision = state is null ? JourneyDecider.Start(e.Fact, context, clock.GetUtcNow(), options.User) : JourneyDecider.Decide(state, e.Fact, context, clock.GetUtcNow(), options.User);
            if (decision.Refused)
            {
                return new JourneyReport(journey.Key, journey.InnovationId, journey.Name, journey.Events.Count, 0, skipped, JourneyOutcome.Refused,
                    [.. decision.Refusals.Select(r => new ImportProblem(e.Origin, r.Field, r.Rule, r.Detail))]);
            }

            // Stored as decided: a retraction carries the change of site state it takes back.
            fresh[i] = e with { Fact = decision.Events[0] };
            state = Journey.After(state, e.Id, fresh[i].Fact);
            CorrectedFact.Remember(ref amended, context, fresh[i].Fact);
        }

        stream.AppendMany([.. Sealed(session, journey, fresh, options, stream.CurrentVersion ?? 0, stream.Aggregate?.LastHash)]);
        await session.SaveChangesAsync(ct);
        return new JourneyReport(journey.Key, journey.InnovationId, journey.Name, journey.Events.Count, fresh.Count, skipped, JourneyOutcome.Extended, []);
    }

    private IDocumentSession Session(ImportOptions options)
    {
        var session = store.LightweightSession();
        session.LastModifiedBy = options.User;
        session.CorrelationId = options.CorrelationId;
        return session;
    }

    /// <summary>The journey's events as stored, sealed in order after the stream's current version and hash.</summary>
    private static List<IEvent> Sealed(IDocumentSession session, ImportedJourney journey, IEnumerable<ImportedEvent> events, ImportOptions options, long versionBefore, string? lastHash)
    {
        var built = events.Select(e => Stamp(session.Events.BuildEvent(e.Fact), options, e, journey.InnovationId)).ToList();
        TamperSeal.Seal(built, versionBefore, lastHash);
        return built;
    }

    private static IEvent Stamp(IEvent e, ImportOptions options, ImportedEvent? imported, Guid streamId)
    {
        e.StreamId = streamId;
        if (imported is not null)
        {
            // Ids come from the file (deterministic), so a re-import recognises what it already wrote.
            e.Id = imported.Id;
            if (imported.RecordedAt is { } at)
            {
                e.SetHeader("sourceRecordedAt", at);
            }

            if (imported.RecordedBy is { } by)
            {
                e.SetHeader("sourceRecordedBy", by);
            }
        }

        // Set explicitly, so Marten does not fill them from the ambient trace after the tamper seal was computed.
        e.UserName = options.User;
        e.CorrelationId = options.CorrelationId ?? "import";
        e.CausationId = "import";
        return e;
    }

    private static IEnumerable<List<ImportedJourney>> ChunkByEvents(IEnumerable<ImportedJourney> journeys)
    {
        var chunk = new List<ImportedJourney>();
        var events = 0;
        foreach (var j in journeys)
        {
            chunk.Add(j);
            events += j.Events.Count;
            if (events >= 20_000)
            {
                yield return chunk;
                chunk = [];
                events = 0;
            }
        }

        if (chunk.Count > 0)
        {
            yield return chunk;
        }
    }

    /// <summary>Where the bulk path's time goes, summed over its chunks (reported as phases; the two overlap).</summary>
    private sealed class BulkTimings
    {
        public TimeSpan Preparing { get; set; }

        public TimeSpan Copy { get; set; }
    }
}
