using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Recording;
using AdoptionEvents.Journeys.SiteAdoption;

namespace AdoptionEvents.UnitTests.Journeys;

/// <summary>Builders for facts and decision inputs, so each test shows only what it is about.</summary>
internal static class Facts
{
    public static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    public static readonly Guid InnovationId = Guid.Parse("0195a3f0-0000-7000-8000-000000000001");
    public static readonly Guid Site = Guid.Parse("0195a3f0-0000-7000-8000-0000000000a1");
    public static readonly Guid OtherSite = Guid.Parse("0195a3f0-0000-7000-8000-0000000000a2");
    public const string User = "recorder@example.nhs.uk";

    public static PartialDate Day(string value) => new() { Value = value, Precision = DatePrecision.Day };

    public static readonly Provenance Stated = new() { Basis = Basis.Stated, Sources = [new SourceReference { Id = "KF-ESC" }] };

    public static T Fact<T>(T fact) where T : JourneyEvent => fact with { InnovationId = InnovationId };

    public static DecisionContext Knowing(IEnumerable<Guid>? organisations = null, IEnumerable<KnownEvent>? events = null, IEnumerable<Guid>? ancestors = null) =>
        new((events ?? []).ToDictionary(e => e.Id), (organisations ?? [Site, OtherSite]).ToHashSet(), (ancestors ?? []).ToHashSet());

    public static Journey Registered(string name = "ESCAPE-pain") => new() { Id = InnovationId, Name = name, Registered = true };

    /// <summary>The registered journey with <see cref="Site"/> in play, in the state one change of it led to.</summary>
    public static Journey AtState(SiteState state) => Registered() with
    {
        Sites = Registered().Sites.Add(Site, new SiteStatus
        {
            Id = SiteStatus.IdFor(InnovationId, Site), InnovationId = InnovationId, SiteId = Site, State = state, Moves = [new SiteMove(Guid.NewGuid(), state)],
        }),
    };

    /// <summary>Folds facts into a journey the way the projection does.</summary>
    public static Journey Fold(params (Guid Id, JourneyEvent Fact)[] history) =>
        history.Aggregate((Journey?)null, (state, e) => Journey.After(state, e.Id, e.Fact with { InnovationId = InnovationId }))!;
}
