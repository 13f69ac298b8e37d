using System.Collections.Immutable;
using System.Security.Claims;
using AdoptionEvents.Hosting.Security;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.Resources;
using static AdoptionEvents.UnitTests.Journeys.Facts;

namespace AdoptionEvents.UnitTests.Security;

/// <summary>A programme lead records for the innovations its network supports; the rule is pure over the token and the journey.</summary>
public class SupportingNetworkTests
{
    private static readonly Guid Network = Guid.Parse("0195a3f0-0000-7000-8000-0000000000c1");
    private static readonly Guid OtherNetwork = Guid.Parse("0195a3f0-0000-7000-8000-0000000000c2");

    private static ClaimsPrincipal User(string role, params Guid[] organisations) => User([role], organisations);

    private static ClaimsPrincipal User(string[] roles, params Guid[] organisations) => new(new ClaimsIdentity(
        [.. roles.Select(r => new Claim(Roles.RoleClaim, r)), .. organisations.Select(o => new Claim(Roles.OrganisationClaim, o.ToString()))], "test", Roles.NameClaim, Roles.RoleClaim));

    private static Journey SupportedBy(params Guid[] supporters) => Registered() with { Supporters = [.. supporters] };

    [Fact]
    public void A_lead_whose_network_the_supporter_belongs_to_records_and_another_networks_lead_is_refused()
    {
        // The origin (Site) belongs to Network: the supporters with what they belong to.
        var journey = SupportedBy(Site);
        IReadOnlySet<Guid> networks = new HashSet<Guid> { Site, Network };

        RecordingRights.CheckSupport(User(Roles.ProgrammeLead, Network), journey, networks).ShouldBeNull();
        RecordingRights.CheckSupport(User(Roles.ProgrammeLead, Site), journey, networks).ShouldBeNull();

        var refused = RecordingRights.CheckSupport(User(Roles.ProgrammeLead, OtherNetwork), journey, networks).ShouldNotBeNull();
        (refused.Status, refused.Field, refused.Rule).ShouldBe((403, "innovationId", "supporting-network"));
        refused.Detail.ShouldContain(Site.ToString());
        RecordingRights.CheckSupport(User(Roles.ProgrammeLead), journey, networks)!.Detail.ShouldContain("must name its network");
    }

    [Fact]
    public void A_journey_nobody_supports_yet_is_open_to_every_lead_and_administrators_are_never_held()
    {
        RecordingRights.CheckSupport(User(Roles.ProgrammeLead, OtherNetwork), Registered(), new HashSet<Guid>()).ShouldBeNull();
        RecordingRights.CheckSupport(User(Roles.Admin), SupportedBy(Site), new HashSet<Guid> { Site }).ShouldBeNull();
        RecordingRights.CheckSupport(User([Roles.ProgrammeLead, Roles.Admin], OtherNetwork), SupportedBy(Site), new HashSet<Guid> { Site }).ShouldBeNull();
        RecordingRights.NeedsSupport(User(Roles.SiteRecorder, Site)).ShouldBeFalse();
    }

    [Fact]
    public void The_journey_is_supported_by_its_origin_and_the_support_organisations_engaged_by_id()
    {
        var journey = Fold(
            (Guid.NewGuid(), new InnovationRegistered { Name = "Flo", InnovationType = "digital", OriginOrganisationId = Site, OccurredAt = Day("2010-01-01"), Provenance = Stated }),
            (Guid.NewGuid(), new SupportOrganisationEngaged { Organisation = "Innovation Agency", OrganisationId = Network, OccurredAt = Day("2011-01-01"), Provenance = Stated }),
            (Guid.NewGuid(), new SupportOrganisationEngaged { Organisation = "a charity, by name only", OccurredAt = Day("2012-01-01"), Provenance = Stated }));

        journey.Supporters.ShouldBe(ImmutableHashSet.Create(Site, Network), ignoreOrder: true);
    }

    [Fact]
    public void A_retracted_engagement_no_longer_supports_unless_another_engagement_of_the_organisation_stands()
    {
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        Journey Retracting(params Guid[] engagements) => Fold(
        [
            (Guid.NewGuid(), new InnovationRegistered { Name = "Flo", InnovationType = "digital", OriginOrganisationId = Site, OccurredAt = Day("2010-01-01"), Provenance = Stated }),
            (first, new SupportOrganisationEngaged { Organisation = "Innovation Agency", OrganisationId = Network, OccurredAt = Day("2011-01-01"), Provenance = Stated }),
            (second, new SupportOrganisationEngaged { Organisation = "Innovation Agency", OrganisationId = Network, Role = "evaluation", OccurredAt = Day("2012-01-01"), Provenance = Stated }),
            .. engagements.Select(id => (Guid.NewGuid(), (JourneyEvent)new EventRetracted { RetractedEventId = id, Reason = "another innovation's", OccurredAt = Day("2013-01-01"), Provenance = Stated })),
        ]);

        Retracting(first).Supporters.ShouldBe(ImmutableHashSet.Create(Site, Network), ignoreOrder: true);
        var neither = Retracting(first, second);
        neither.Supporters.ShouldBe([Site]);
        neither.Engagements.ShouldBeEmpty();
        RecordingRights.CheckSupport(User(Roles.ProgrammeLead, Network), neither, new HashSet<Guid> { Site })!.Rule.ShouldBe("supporting-network");

        // The origin supports while it is the origin: a registration that names another replaces it.
        var moved = Fold(
            (Guid.NewGuid(), new InnovationRegistered { Name = "Flo", InnovationType = "digital", OriginOrganisationId = Site, OccurredAt = Day("2010-01-01"), Provenance = Stated }),
            (Guid.NewGuid(), new InnovationRegistered { Name = "Flo", InnovationType = "digital", OriginOrganisationId = OtherNetwork, OccurredAt = Day("2010-02-01"), Provenance = Stated }));
        moved.Supporters.ShouldBe([OtherNetwork]);
    }
}
