using AdoptionEvents.Hosting;
using AdoptionEvents.Importing;
using AdoptionEvents.Importing.Synthetic;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Audit;
using AdoptionEvents.Journeys.Recording;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.ReadModels.InnovationSummaries;
using AdoptionEvents.ReadModels.SiteRegister;
using BenchmarkDotNet.Attributes;
using JasperFx.Events;

namespace AdoptionEvents.MicroBenchmarks;

/// <summary>The large journey of issue 9 (5,000 sites, 50,000 events), generated once per process and shared by every benchmark.</summary>
public sealed class LargeJourneyFixture
{
    private static readonly Lazy<LargeJourneyFixture> Shared = new(() => new LargeJourneyFixture(LargeJourney.Generate()));

    public static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private LargeJourneyFixture(ImportBatch batch)
    {
        Journey = batch.Journeys[0];
        State = Journey.Events.Aggregate((Journey?)null, (s, e) => Journeys.Journey.After(s, e.Id, e.Fact))!;
        Events = [.. Journey.Events.Select((e, i) => Wrap(e.Fact, i + 1, e.Id))];
        var site = State.Sites.First(s => s.Value.State == SiteState.Live).Key;
        Command = new StaffTrained
        {
            InnovationId = Journey.InnovationId, SiteId = site, Count = 3, Role = "practice nurse",
            OccurredAt = new PartialDate { Value = "2025-11", Precision = DatePrecision.Month }, Provenance = new Provenance { Basis = Basis.Illustrative },
        };
        Context = new DecisionContext(new Dictionary<Guid, KnownEvent>(), batch.Organisations.Select(o => o.Id).ToHashSet(), new HashSet<Guid>());
        CommandEvent = Wrap(Command, Events.Count + 1, Guid.CreateVersion7(Now));
    }

    public static LargeJourneyFixture Instance => Shared.Value;

    public ImportedJourney Journey { get; }

    /// <summary>The decision state after every event: 5,000 sites.</summary>
    public Journey State { get; }

    /// <summary>The events as the daemon hands them to projections.</summary>
    public IReadOnlyList<IEvent> Events { get; }

    /// <summary>staff_trained at a live site: the command of the load harness's path c.</summary>
    public StaffTrained Command { get; }

    public IEvent CommandEvent { get; }

    public DecisionContext Context { get; }

    public static IEvent Wrap(JourneyEvent fact, long version, Guid id)
    {
        var e = (IEvent)Activator.CreateInstance(typeof(Event<>).MakeGenericType(fact.GetType()), fact)!;
        e.Id = id;
        e.Version = version;
        e.Sequence = version;
        e.StreamId = fact.InnovationId;
        e.Timestamp = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(version);
        e.EventTypeName = EventCatalogue.Of(fact).Name;
        e.UserName = "benchmark";
        return e;
    }
}

/// <summary>The write side's pure steps on the 5,000-site journey.</summary>
[MemoryDiagnoser]
public class DecisionBenchmarks
{
    private LargeJourneyFixture _data = null!;

    [GlobalSetup]
    public void Setup() => _data = LargeJourneyFixture.Instance;

    [Benchmark(Description = "JourneyDecider.Decide staff_trained, 5,000-site journey")]
    public Decision Decide() => JourneyDecider.Decide(_data.State, _data.Command, _data.Context, LargeJourneyFixture.Now, "benchmark");

    [Benchmark(Description = "Journey.After one site event, 5,000-site journey")]
    public Journey? After() => Journey.After(_data.State, _data.CommandEvent.Id, _data.Command);

    [Benchmark(Description = "Journey.After fold of all 50,000 events")]
    public Journey? FoldDecisionState()
    {
        Journey? state = null;
        foreach (var e in _data.Journey.Events)
        {
            state = Journey.After(state, e.Id, e.Fact);
        }

        return state;
    }
}

/// <summary>The read side's steps: one event applied to a built document, and a whole-journey fold (a rebuild's work per journey).</summary>
[MemoryDiagnoser]
public class ProjectionBenchmarks
{
    private readonly InnovationSummaryProjection _summaries = new(new StageThresholds());
    private readonly SiteAdoptionProjection _sites = new();
    private LargeJourneyFixture _data = null!;
    private InnovationSummary _summary = null!;
    private SiteAdoption _site = null!;

    [GlobalSetup]
    public void Setup()
    {
        _data = LargeJourneyFixture.Instance;
        _summary = FoldSummary()!;
        var siteId = SiteAdoption.IdFor(_data.Journey.InnovationId, _data.Command.SiteId);
        _site = _data.Events.Where(e => e.Data is SiteEvent s && s.SiteId == _data.Command.SiteId).Aggregate((SiteAdoption?)null, (s, e) => _sites.Next(s, siteId, e))!;
    }

    [Benchmark(Description = "InnovationSummaryProjection.Evolve one staff_trained, 5,000-site summary")]
    public InnovationSummary? SummaryStep() => _summaries.Evolve(_summary, _data.Journey.InnovationId, _data.CommandEvent);

    [Benchmark(Description = "InnovationSummaryProjection.Evolve fold of all 50,000 events")]
    public InnovationSummary? FoldSummary()
    {
        InnovationSummary? s = null;
        foreach (var e in _data.Events)
        {
            s = _summaries.Evolve(s, _data.Journey.InnovationId, e);
        }

        return s;
    }

    [Benchmark(Description = "SiteAdoptionProjection.Evolve one staff_trained")]
    public SiteAdoption? SiteStep() => _sites.Next(_site, _site.Id, _data.CommandEvent);
}

/// <summary>
/// What retractions cost the folds in memory: the 50,000-event journey with 100 of its staff trainings retracted, each 250 events
/// after it. An as-of view or the measures know every retraction beforehand and fold once; a replay meets them one by one, and folds
/// the summary again at each (as the daemon does once for a batch that holds a retraction).
/// </summary>
[MemoryDiagnoser]
public class RetractionBenchmarks
{
    private readonly StageThresholds _rules = new();
    private List<IEvent> _events = null!;

    [GlobalSetup]
    public void Setup()
    {
        var data = LargeJourneyFixture.Instance;
        var trainings = data.Journey.Events.Select((e, i) => (e, i)).Where(x => x.e.Fact is StaffTrained).ToList();
        var retracted = Enumerable.Range(0, 100).Select(k => trainings[k * trainings.Count / 100]).ToDictionary(x => x.i + 250, x => x.e);
        var facts = new List<(Guid Id, JourneyEvent Fact)>();
        for (var i = 0; i < data.Journey.Events.Count; i++)
        {
            facts.Add((data.Journey.Events[i].Id, data.Journey.Events[i].Fact));
            if (retracted.TryGetValue(i, out var target))
            {
                facts.Add((Guid.CreateVersion7(LargeJourneyFixture.Now), new Journeys.Corrections.EventRetracted
                {
                    InnovationId = data.Journey.InnovationId, RetractedEventId = target.Id, Reason = "recorded in error", OccurredAt = target.Fact.OccurredAt,
                    Provenance = new Provenance { Basis = Basis.Illustrative }, SiteFact = Journeys.Corrections.UndoneSiteFact.Of((SiteEvent)target.Fact),
                }));
            }
        }

        _events = [.. facts.Select((f, i) => LargeJourneyFixture.Wrap(f.Fact, i + 1, f.Id))];
    }

    [Benchmark(Description = "JourneyFold.Of 50,000 events with 100 retractions (as-of, measures)")]
    public InnovationSummary? FoldKnowingRetractions() => Evaluation.JourneyFold.Of(_events, _rules).Summary;

    [Benchmark(Description = "JourneyFold.Apply 50,000 events with 100 retractions met one by one (replay)")]
    public InnovationSummary? FoldMeetingRetractions()
    {
        var fold = new Evaluation.JourneyFold(_rules);
        foreach (var e in _events)
        {
            fold.Apply(e);
        }

        return fold.Summary;
    }
}

/// <summary>The tamper seal every appended event gets.</summary>
[MemoryDiagnoser]
public class SealBenchmarks
{
    private IEvent _event = null!;
    private string _previous = "";

    [GlobalSetup]
    public void Setup()
    {
        _event = LargeJourneyFixture.Instance.CommandEvent;
        _previous = new string('a', 64);
    }

    [Benchmark(Description = "TamperSeal.Compute one staff_trained")]
    public string Compute() => TamperSeal.Compute(_previous, _event);
}

/// <summary>
/// What every daemon shard, stream fetch and document load pays per stored value: path c's event and the headers stored with it
/// (its seal and organisation), as Marten's serializer reads a row's jsonb (an asynchronous stream read) and as the store's
/// <see cref="StoreJsonSerializer"/> does (the same bytes in one synchronous pass).
/// </summary>
[MemoryDiagnoser]
public class StoredJsonBenchmarks
{
    private readonly Marten.Services.SystemTextJsonSerializer _marten = new() { EnumStorage = Weasel.Core.EnumStorage.AsString, Casing = Weasel.Core.Casing.CamelCase };
    private readonly StoreJsonSerializer _store = new(Weasel.Core.EnumStorage.AsString, Weasel.Core.Casing.CamelCase, Json.ConfigureStore);
    private byte[] _event = [];
    private byte[] _headers = [];

    [GlobalSetup]
    public void Setup()
    {
        _marten.Configure(Json.ConfigureStore);
        var fixture = LargeJourneyFixture.Instance;
        var headers = new Dictionary<string, object> { [TamperSeal.Header] = new string('a', 64), ["organisation"] = fixture.Command.SiteId.ToString() };
        // As Npgsql hands a jsonb column over: its version byte (1), then the JSON.
        _event = [1, .. System.Text.Encoding.UTF8.GetBytes(_store.ToJson(fixture.Command))];
        _headers = [1, .. System.Text.Encoding.UTF8.GetBytes(_store.ToJson(headers))];
    }

    [Benchmark(Baseline = true, Description = "Stored staff_trained and its headers, read as Marten's serializer reads a row")]
    public async Task<object> MartenReads() =>
        (await _marten.FromJsonAsync<StaffTrained>(new MemoryStream(_event)), await _marten.FromJsonAsync<Dictionary<string, object>>(new MemoryStream(_headers)));

    [Benchmark(Description = "Stored staff_trained and its headers, read as StoreJsonSerializer reads a row")]
    public object StoreReads() =>
        (_store.FromJson<StaffTrained>(new MemoryStream(_event)), _store.FromJson<Dictionary<string, object>>(new MemoryStream(_headers)));
}
