using System.Security.Claims;
using System.Text.Json;
using AdoptionEvents.Hosting.Security;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Recording;
using AdoptionEvents.Journeys.SiteAdoption;
using static AdoptionEvents.UnitTests.Journeys.Facts;

namespace AdoptionEvents.UnitTests.Security;

/// <summary>A site recorder corrects and retracts what it may record: site events of its own sites. The rule is pure over the token and the event named.</summary>
public class SiteRecorderTargetTests
{
    private static ClaimsPrincipal User(string role, params Guid[] organisations) => new(new ClaimsIdentity(
        [new Claim(Roles.RoleClaim, role), .. organisations.Select(o => new Claim(Roles.OrganisationClaim, o.ToString()))], "test", Roles.NameClaim, Roles.RoleClaim));

    private static readonly KnownEvent OwnGoLive = new(Guid.NewGuid(), InnovationId, "service_went_live", Site);
    private static readonly KnownEvent OtherGoLive = new(Guid.NewGuid(), InnovationId, "service_went_live", OtherSite);
    private static readonly KnownEvent Pilot = new(Guid.NewGuid(), InnovationId, "pilot_started", Site);
    private static readonly KnownEvent SharedWithOther = new(Guid.NewGuid(), InnovationId, "knowledge_shared", Site)
    {
        Fact = new KnowledgeShared { SiteId = Site, ToSiteId = OtherSite, How = "visit", OccurredAt = Day("2015-01-01"), Provenance = Stated },
    };

    private static EventRetracted Retraction(KnownEvent e) => new() { RetractedEventId = e.Id, Reason = "in error", OccurredAt = Day("2016-01-01"), Provenance = Stated };

    private static EventCorrected Correction(KnownEvent e, string field, object value) => new()
    {
        CorrectedEventId = e.Id, Changes = new Dictionary<string, JsonElement> { [field] = JsonSerializer.SerializeToElement(value) }, Reason = "in error", OccurredAt = Day("2016-01-01"), Provenance = Stated,
    };

    private static Refusal? Check(ClaimsPrincipal user, JourneyEvent fact) =>
        RecordingRights.Check(user, fact) ?? RecordingRights.CheckTarget(user, fact, Knowing(events: [OwnGoLive, OtherGoLive, Pilot, SharedWithOther]));

    [Fact]
    public void A_site_recorder_retracts_and_corrects_its_own_sites_events()
    {
        var recorder = User(Roles.SiteRecorder, Site);

        Check(recorder, Retraction(OwnGoLive)).ShouldBeNull();
        Check(recorder, Correction(OwnGoLive, "occurredAt", new { value = "2015", precision = "year" })).ShouldBeNull();
        Check(recorder, Correction(OwnGoLive, "siteId", Site)).ShouldBeNull();
    }

    [Fact]
    public void A_site_recorder_is_refused_another_sites_events_innovation_level_facts_and_moving_a_fact_to_another_site()
    {
        var recorder = User(Roles.SiteRecorder, Site);

        var other = Check(recorder, Retraction(OtherGoLive)).ShouldNotBeNull();
        (other.Status, other.Field, other.Rule).ShouldBe((403, "retractedEventId", "own-organisation"));
        var pilot = Check(recorder, Retraction(Pilot)).ShouldNotBeNull();
        (pilot.Field, pilot.Rule).ShouldBe(("retractedEventId", "site-events-only"));
        pilot.Detail.ShouldContain("pilot_started");
        Check(recorder, Retraction(SharedWithOther))!.Rule.ShouldBe("own-organisation");
        var moved = Check(recorder, Correction(OwnGoLive, "siteId", OtherSite)).ShouldNotBeNull();
        (moved.Field, moved.Rule).ShouldBe(("changes.siteId", "own-organisation"));
        Check(recorder, Correction(OtherGoLive, "occurredAt", new { value = "2015", precision = "year" }))!.Field.ShouldBe("correctedEventId");
    }

    [Fact]
    public void Programme_leads_and_administrators_correct_and_retract_any_event_and_an_unknown_one_is_left_to_the_decision()
    {
        Check(User(Roles.ProgrammeLead, Guid.NewGuid()), Retraction(OtherGoLive)).ShouldBeNull();
        Check(User(Roles.Admin), Retraction(Pilot)).ShouldBeNull();
        RecordingRights.CheckTarget(User(Roles.SiteRecorder, Site), Retraction(OwnGoLive with { Id = Guid.NewGuid() }), Knowing()).ShouldBeNull();
    }
}
