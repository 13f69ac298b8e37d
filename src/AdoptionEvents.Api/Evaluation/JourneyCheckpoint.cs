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
/// The fold of every event of a kept journey, so an as-of view whose cut leaves none of them out (the
/// usual question: as of now, or of a date after the journey's last fact) is answered without folding again.
/// A cut that leaves events out is folded afresh. The fold before the first event left out would do as a
/// start, but the state is mutable (every site's document), so each such checkpoint would cost a deep copy;
/// only the latest is kept.
/// <para>
/// A fold is published once complete and never applied to again, so concurrent requests only read it. A
/// journey that has grown since is folded again, once, by the first request whose cut covers it all.
/// </para>
/// </summary>
public sealed class JourneyCheckpoint
{
    private readonly Lock _lock = new();
    private FoldedJourney? _latest;

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

            var folded = FoldedJourney.Of(events, rules);

            // A request holding a shorter list than the one kept (it read the stream earlier) does not replace it.
            if (latest is null || latest.Count <= folded.Count)
            {
                Volatile.Write(ref _latest, folded);
            }

            return folded;
        }
    }
}

/// <summary>
/// Every event of a journey folded, and the parts of the as-of view that depend on that fold alone, made
/// on first use: the summary, the site register in order and the change log (by the date it is asked for),
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

    private FoldedJourney(IReadOnlyList<IEvent> events, StageThresholds rules, JourneyFold fold)
    {
        Count = events.Count;
        _last = events[^1];
        _rules = rules;
        Fold = fold;
        LatestRecorded = events.Max(e => e.Timestamp);
        _occurred = new(() => Occurred(events, Count));
        _sites = new(() => [.. fold.Sites.Values.OrderBy(s => s.SiteId)]);
        _changeLogNodes = new(fold.DominoNodesAndCauses);
    }

    /// <summary>Events folded: the first <see cref="Count"/> of the journey.</summary>
    public int Count { get; }

    public JourneyFold Fold { get; }

    public DateTimeOffset LatestRecorded { get; }

    /// <summary>The site register ordered by site id, as the as-of view lists it.</summary>
    public List<SiteAdoption> SitesInOrder => _sites.Value;

    public static FoldedJourney Of(IReadOnlyList<IEvent> events, StageThresholds rules) => new(events, rules, JourneyFold.Of(events, rules));

    /// <summary>Whether this is the fold of exactly these events (the same instances: a kept list only grows) under these rules.</summary>
    public bool Folds(IReadOnlyList<IEvent> events, StageThresholds rules) =>
        events.Count == Count && ReferenceEquals(events[^1], _last) && _rules == rules;

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

        var (onlyFacts, latest) = _occurred.Value;
        return onlyFacts && (latest is null || latest <= d);
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
    public (EncodedJson? Summary, EncodedJson Barriers, EncodedJson Sites) Encoded(JsonSerializerOptions json)
    {
        if (Volatile.Read(ref _encoded) is not { } parts || !ReferenceEquals(parts.Json, json))
        {
            lock (_encoding)
            {
                parts = _encoded;
                if (parts is null || !ReferenceEquals(parts.Json, json))
                {
                    parts = new EncodedParts(json, Fold.Summary is { } s ? EncodedJson.Of(s, json) : null,
                        EncodedJson.Of<IReadOnlyList<BarrierEntry>>(Fold.Summary?.Barriers ?? [], json), EncodedJson.Of(SitesInOrder, json));
                    Volatile.Write(ref _encoded, parts);
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
                    var midpoint = Midpoints.Of(fact.OccurredAt);
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

    private sealed record EncodedParts(JsonSerializerOptions Json, EncodedJson? Summary, EncodedJson Barriers, EncodedJson Sites);
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
