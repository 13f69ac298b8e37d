using System.Text.Json;
using System.Text.Json.Serialization;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Recording;
using AdoptionEvents.ReadModels.ChangeLog;
using AdoptionEvents.ReadModels.InnovationSummaries;
using AdoptionEvents.ReadModels.SiteRegister;
using JasperFx.Events;

namespace AdoptionEvents.Evaluation;

/// <summary>A journey's events in stream order, with the checkpoint kept for them (<see cref="JourneyEvents"/>).</summary>
public sealed record KeptJourney(IReadOnlyList<IEvent> Events, JourneyCheckpoint Checkpoint);

/// <summary>
/// Folds of a kept journey to start an as-of view from. The latest is the fold of every event, so a cut
/// that leaves none of them out (the usual question: as of now, or of a date after the journey's last
/// fact) is answered without folding again. A cut inside the journey includes a prefix of it (every event
/// up to the first one it leaves out) and then, usually, few or none of the rest: late-recorded facts of
/// earlier dates, corrections and retractions. Up to <see cref="KeptCuts"/> folds of such prefixes are
/// kept, made by the first cut whose prefix is at least <see cref="Stride"/> events past every kept fold
/// it could start from: a cut whose prefix is one of them and that includes none of the rest is answered
/// from it like the latest, any other starts from a copy of the longest one inside its prefix
/// (<see cref="JourneyFold.Copy"/>) and folds the rest through <see cref="TimeAxes.Includes"/>, the
/// events a fresh fold would apply, in the same order.
/// <para>
/// A fold is published once complete and never applied to again, so concurrent requests only read it. A
/// kept list of events only grows, with the same instances, so a fold of its first N events holds while the
/// stream grows; the latest is made again, once, from a copy of the longest fold it starts with, by the
/// first request whose cut covers the grown journey. Every fold is dropped with the kept journey.
/// </para>
/// </summary>
public sealed class JourneyCheckpoint
{
    /// <summary>Folds of prefixes kept besides the latest: each about as large as the latest fold, so few.</summary>
    public const int KeptCuts = 2;

    private static long _uses;

    private readonly Lock _lock = new();
    private FoldedJourney? _latest;
    private FoldedJourney[] _cuts = [];

    /// <summary>
    /// Events past the longest kept fold a cut's prefix must reach for a fold of that prefix to be kept: folding
    /// fewer afresh on every such request costs less than the memory of another fold.
    /// </summary>
    public static int Stride(int events) => Math.Max(1_000, events / 16);

    /// <summary>The fold of all of <paramref name="events"/> when the axes leave none of them out, else null.</summary>
    public FoldedJourney? Covering(IReadOnlyList<IEvent> events, StageThresholds rules, TimeAxes axes)
    {
        var latest = Volatile.Read(ref _latest);
        if (latest is not null && latest.Folds(events, rules))
        {
            return latest.Covers(axes) ? latest : null;
        }

        if (events.Count == 0 || !events.All(axes.Includes))
        {
            return null;
        }

        // One fold at a time: concurrent requests for a journey that has grown wait for the first one's
        // fold instead of each folding it (on two cores, N folds at once take N times as long, in N times the memory).
        lock (_lock)
        {
            latest = _latest;
            if (latest is not null && latest.Folds(events, rules))
            {
                return latest;
            }

            var folded = FoldedJourney.Of(events, events.Count, rules, Longest(events, rules, events.Count));

            // A request holding a shorter list than the one kept (it read the stream earlier) does not replace it.
            if (latest is null || latest.Count <= folded.Count)
            {
                Volatile.Write(ref _latest, folded);
            }

            return folded;
        }
    }

    /// <summary>
    /// The fold to start a cut from whose first <paramref name="prefix"/> events all count: a kept fold of at
    /// most that many of <paramref name="events"/>, the longest, made first when it would fall short of the
    /// prefix by <see cref="Stride"/> events or more; null when the prefix is shorter than that.
    /// </summary>
    public FoldedJourney? Start(IReadOnlyList<IEvent> events, StageThresholds rules, int prefix)
    {
        var best = Best(Volatile.Read(ref _cuts), events, rules, prefix);
        if (prefix - (best?.Count ?? 0) < Stride(events.Count))
        {
            return Used(best);
        }

        lock (_lock)
        {
            best = Best(_cuts, events, rules, prefix);
            if (prefix - (best?.Count ?? 0) < Stride(events.Count))
            {
                return Used(best);
            }

            var made = FoldedJourney.Of(events, prefix, rules, Longest(events, rules, prefix));
            Used(made);

            // The most recently used stay; a fold of other rules, or of another list a request read earlier, goes first.
            Volatile.Write(ref _cuts, [made, .. _cuts.Where(c => c.Starts(events, rules)).OrderByDescending(c => c.LastUsed).Take(KeptCuts - 1)]);
            return made;
        }
    }

    private static FoldedJourney? Best(FoldedJourney[] cuts, IReadOnlyList<IEvent> events, StageThresholds rules, int prefix)
    {
        FoldedJourney? best = null;
        foreach (var cut in cuts)
        {
            if (cut.Count <= prefix && cut.Starts(events, rules) && (best is null || cut.Count > best.Count))
            {
                best = cut;
            }
        }

        return best;
    }

    // The longest fold kept of at most the first `count` events, to start a fold of them from.
    private FoldedJourney? Longest(IReadOnlyList<IEvent> events, StageThresholds rules, int count)
    {
        var best = Best(_cuts, events, rules, count);
        if (_latest is { } latest && latest.Count <= count && latest.Starts(events, rules) && latest.Count > (best?.Count ?? 0))
        {
            best = latest;
        }

        return best;
    }

    private static FoldedJourney? Used(FoldedJourney? fold)
    {
        fold?.LastUsed = Interlocked.Increment(ref _uses);
        return fold;
    }
}

/// <summary>
/// The first <see cref="Count"/> events of a journey folded (all of them, or a cut's prefix), and the parts
/// of the as-of view that depend on that fold alone, made on first use: the summary, the site register in order and the change log (by the date it is asked for),
/// also as JSON, so a request writes their bytes (about 8 MB for 5,000 sites) instead of serialising them again.
/// </summary>
public sealed class FoldedJourney
{
    private readonly IEvent _last;
    private readonly StageThresholds _rules;
    private readonly Lazy<(bool OnlyFacts, DateOnly? Latest)> _occurred;
    private readonly Lazy<List<SiteAdoption>> _sites;
    private readonly Lazy<List<IndexedEvent>> _changeLogNodes;
    private ChangeLogMemo? _changeLog;
    private EncodedParts? _encoded;
    private readonly Lock _encoding = new();

    // The parts of the fold this one went on from, as encoded when it was made: the sites this fold left unchanged
    // are written as their bytes there when this one is encoded. Dropped then, so no fold holds a chain of others.
    private EncodedParts? _origin;

    private FoldedJourney(IReadOnlyList<IEvent> events, int count, StageThresholds rules, JourneyFold fold, EncodedParts? origin)
    {
        Count = count;
        _origin = origin;
        _last = events[count - 1];
        _rules = rules;
        Fold = fold;
        var latest = DateTimeOffset.MinValue;
        for (var i = 0; i < count; i++)
        {
            latest = events[i].Timestamp > latest ? events[i].Timestamp : latest;
        }

        LatestRecorded = latest;
        _occurred = new(() => Occurred(events, count));
        _sites = new(() => [.. fold.Sites.Values.OrderBy(s => s.SiteId)]);
        _changeLogNodes = new(fold.DominoNodesAndCauses);
    }

    /// <summary>Events folded: the first <see cref="Count"/> of the journey.</summary>
    public int Count { get; }

    public JourneyFold Fold { get; }

    public DateTimeOffset LatestRecorded { get; }

    /// <summary>The site register ordered by site id, as the as-of view lists it.</summary>
    public List<SiteAdoption> SitesInOrder => _sites.Value;

    /// <summary>When a request last started from this fold (<see cref="JourneyCheckpoint.Start"/>), to keep the most recently used.</summary>
    public long LastUsed { get; set; }

    /// <summary>The fold of the first <paramref name="count"/> events, going on from a copy of <paramref name="start"/> (a fold of the first events of the same list) when given.</summary>
    public static FoldedJourney Of(IReadOnlyList<IEvent> events, int count, StageThresholds rules, FoldedJourney? start = null)
    {
        var fold = start?.Fold.Copy() ?? new JourneyFold(rules, Amendments.Of(events.Take(count)));
        for (var i = start?.Count ?? 0; i < count; i++)
        {
            fold.Apply(events[i]);
        }

        return new(events, count, rules, fold, start is null ? null : Volatile.Read(ref start._encoded));
    }

    /// <summary>Whether this is the fold of exactly these events (the same instances: a kept list only grows) under these rules.</summary>
    public bool Folds(IReadOnlyList<IEvent> events, StageThresholds rules) => events.Count == Count && Starts(events, rules);

    /// <summary>Whether this is the fold of the first <see cref="Count"/> of these events under these rules.</summary>
    public bool Starts(IReadOnlyList<IEvent> events, StageThresholds rules) =>
        events.Count >= Count && ReferenceEquals(events[Count - 1], _last) && _rules == rules;

    /// <summary>
    /// Whether the axes leave out none of the events folded, as <see cref="TimeAxes.Includes"/> would find
    /// event by event: recorded by K, and on the occurred axis only facts, each a correction or retraction
    /// or with its midpoint by D.
    /// </summary>
    public bool Covers(TimeAxes axes)
    {
        if (axes.RecordedBy is { } k && LatestRecorded > k)
        {
            return false;
        }

        if (axes.OccurredBy is not { } d)
        {
            return true;
        }

        // A fact whose date a correction moved past D is left out; one moved to D or before from a later date is folded in, but then the
        // recorded dates already reach past D.
        var (onlyFacts, latest) = _occurred.Value;
        return onlyFacts && (latest is null || latest <= d) && axes.Moved.Values.All(moved => moved <= d);
    }

    /// <summary>The change log of the fold as of <paramref name="asOf"/>; the last one made is kept, as requests usually repeat the date.</summary>
    public ChangeLogView ChangeLog(DateOnly? asOf)
    {
        if (Volatile.Read(ref _changeLog) is { } memo && memo.AsOf == asOf)
        {
            return memo.View;
        }

        var view = ChangeLogGraph.Build(_changeLogNodes.Value, Fold.Links.Values, asOf);
        Volatile.Write(ref _changeLog, new ChangeLogMemo(asOf, view));
        return view;
    }

    /// <summary>The summary, its barriers and the site register as JSON in these options; kept for the options last asked for.</summary>
    public (EncodedJson? Summary, EncodedJson Barriers, EncodedRegister Sites) Encoded(JsonSerializerOptions json)
    {
        if (Volatile.Read(ref _encoded) is not { } parts || !ReferenceEquals(parts.Json, json))
        {
            lock (_encoding)
            {
                parts = _encoded;
                if (parts is null || !ReferenceEquals(parts.Json, json))
                {
                    var origin = _origin is { } o && ReferenceEquals(o.Json, json) ? o.Sites : null;
                    parts = new EncodedParts(json, Fold.Summary is { } s ? EncodedJson.Of(s, json) : null,
                        EncodedJson.Of<IReadOnlyList<BarrierEntry>>(Fold.Summary?.Barriers ?? [], json), EncodedRegister.Of(SitesInOrder, json, origin));
                    Volatile.Write(ref _encoded, parts);
                    _origin = null;
                }
            }
        }

        return (parts.Summary, parts.Barriers, parts.Sites);
    }

    /// <summary>The change log as of <paramref name="asOf"/> as JSON in these options.</summary>
    public EncodedJson ChangeLogEncoded(DateOnly? asOf, JsonSerializerOptions json)
    {
        var view = ChangeLog(asOf);
        var memo = Volatile.Read(ref _changeLog)!;
        if (!ReferenceEquals(memo.View, view))
        {
            // Another date was asked for meanwhile: encode this one without keeping it.
            return EncodedJson.Of(view, json);
        }

        if (Volatile.Read(ref memo.Encoded) is not { } encoded || !ReferenceEquals(encoded.Json, json))
        {
            encoded = new EncodedLog(json, EncodedJson.Of(view, json));
            Volatile.Write(ref memo.Encoded, encoded);
        }

        return encoded.Value;
    }

    private static (bool OnlyFacts, DateOnly? Latest) Occurred(IReadOnlyList<IEvent> events, int count)
    {
        DateOnly? latest = null;
        for (var i = 0; i < count; i++)
        {
            switch (events[i].Data)
            {
                case EventCorrected or EventRetracted:
                    break;
                case JourneyEvent fact:
                    var midpoint = fact.OccurredAt.Midpoint;
                    latest = latest is { } l && l >= midpoint ? l : midpoint;
                    break;
                default:
                    return (false, null);
            }
        }

        return (true, latest);
    }

    private sealed class ChangeLogMemo(DateOnly? asOf, ChangeLogView view)
    {
        public DateOnly? AsOf { get; } = asOf;

        public ChangeLogView View { get; } = view;

        public EncodedLog? Encoded;
    }

    private sealed record EncodedLog(JsonSerializerOptions Json, EncodedJson Value);

    private sealed record EncodedParts(JsonSerializerOptions Json, EncodedJson? Summary, EncodedJson Barriers, EncodedRegister Sites);
}

/// <summary>A value already serialised to UTF-8 JSON, written as it is wherever it stands in an answer.</summary>
[JsonConverter(typeof(EncodedJsonConverter))]
public sealed class EncodedJson
{
    private EncodedJson(byte[] utf8) => Utf8 = utf8;

    public byte[] Utf8 { get; }

    public static EncodedJson Of<T>(T value, JsonSerializerOptions json) => new(JsonSerializer.SerializeToUtf8Bytes(value, json));

    private sealed class EncodedJsonConverter : JsonConverter<EncodedJson>
    {
        public override EncodedJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("encoded JSON is written, never read: read the type it was made from");

        public override void Write(Utf8JsonWriter writer, EncodedJson value, JsonSerializerOptions options) =>
            writer.WriteRawValue(value.Utf8, skipInputValidation: true);
    }
}

/// <summary>
/// The site register as JSON a site at a time, written as one array: a fold copied from the one a register
/// was encoded from (<see cref="JourneyFold.Copy"/>) shares the documents of the sites it has not changed,
/// and writes their bytes from it instead of serialising them again.
/// </summary>
[JsonConverter(typeof(EncodedRegisterConverter))]
public sealed class EncodedRegister
{
    private readonly List<SiteAdoption> _sites;
    private readonly byte[][] _utf8;
    private readonly Lazy<Dictionary<Guid, int>> _index;

    private EncodedRegister(List<SiteAdoption> sites, byte[][] utf8)
    {
        _sites = sites;
        _utf8 = utf8;
        _index = new(() => sites.Select((site, i) => (site.Id, i)).ToDictionary(x => x.Id, x => x.i));
    }

    /// <summary>The sites in the order given; each that is the same document as in <paramref name="from"/> (encoded in the same options) as its bytes there.</summary>
    public static EncodedRegister Of(List<SiteAdoption> sites, JsonSerializerOptions json, EncodedRegister? from = null)
    {
        var utf8 = new byte[sites.Count][];
        for (var i = 0; i < sites.Count; i++)
        {
            utf8[i] = from is not null && from._index.Value.TryGetValue(sites[i].Id, out var at) && ReferenceEquals(from._sites[at], sites[i])
                ? from._utf8[at]
                : JsonSerializer.SerializeToUtf8Bytes(sites[i], json);
        }

        return new EncodedRegister(sites, utf8);
    }

    private sealed class EncodedRegisterConverter : JsonConverter<EncodedRegister>
    {
        public override EncodedRegister Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("an encoded register is written, never read: read a list of SiteAdoption");

        public override void Write(Utf8JsonWriter writer, EncodedRegister value, JsonSerializerOptions options)
        {
            writer.WriteStartArray();
            foreach (var site in value._utf8)
            {
                writer.WriteRawValue(site, skipInputValidation: true);
            }

            writer.WriteEndArray();
        }
    }
}
