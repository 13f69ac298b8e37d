using System.Text.Json;
using AdoptionEvents.Hosting;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Barriers;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Recording;
using AdoptionEvents.Journeys.Resources;
using AdoptionEvents.Journeys.SiteAdoption;
using static AdoptionEvents.UnitTests.Journeys.Facts;

namespace AdoptionEvents.UnitTests.Journeys;

/// <summary>A correction makes a fact that meets every rule of its type, and leaves what decisions hang on as it is.</summary>
public class CorrectionDecisionTests
{
    private static readonly Guid Target = Guid.Parse("0195a3f0-0000-7000-8000-0000000000e1");

    private static Decision Decide(JourneyEvent original, string changes)
    {
        var known = KnownEvent.Of(Target, InnovationId, Fact(original));
        var correction = new EventCorrected
        {
            CorrectedEventId = Target, Reason = "the source says otherwise", OccurredAt = Day("2024-01-01"), Provenance = Stated,
            Changes = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(changes)!,
        };
        return JourneyDecider.Decide(Registered(), Fact(correction), Knowing(events: [known]), Now, User);
    }

    private static Refusal RefusalOf(JourneyEvent original, string changes)
    {
        var decision = Decide(original, changes);
        decision.Refused.ShouldBeTrue("the correction should have been refused");
        decision.Events.ShouldBeEmpty();
        return decision.Refusals[0];
    }

    private static readonly StaffTrained Training = new() { SiteId = Site, Count = 12, OccurredAt = Day("2015-03-01"), Provenance = Stated };

    private static readonly FundingSecured Funding = new()
    {
        Funder = "NHS England", Purpose = "spread", Amount = new Money { Amount = 250_000, Currency = "GBP" }, OccurredAt = Day("2016-01-01"), Provenance = Stated,
    };

    public static TheoryData<JourneyEvent, string, string, string> Refused => new()
    {
        // A date as a recorded one must be.
        { Training, """{"occurredAt":{"value":"2027-01-01","precision":"day"}}""", "changes.occurredAt", "not-in-future" },
        { Training, """{"occurredAt":{"value":"2015-13-01","precision":"day"}}""", "changes.occurredAt", "partial-date" },
        // A value its field cannot hold, or none where one is required.
        { Training, """{"count":"twelve"}""", "changes.count", "json" },
        { Funding, """{"funder":null}""", "changes.funder", "json" },
        // The rules of the type.
        { Funding, """{"purpose":"yachts"}""", "changes.purpose", "vocabulary" },
        { Funding, """{"funder":" "}""", "changes.funder", "not-empty" },
        { new BarrierEncountered { Code = "R2", Severity = Severity.High, Scope = BarrierScope.Site, SiteId = Site, OccurredAt = Day("2016-01-01"), Provenance = Stated },
            """{"code":"no-such-code"}""", "changes.code", "vocabulary" },
        // Fields the type does not have.
        { Training, """{"amount":3}""", "changes.amount", "known-field" },
        // What decisions hang on: references and a site's decision.
        { Training, $$"""{"siteId":"{{OtherSite}}"}""", "changes.siteId", "immutable" },
        { Training, $$"""{"causedBy":["{{Guid.NewGuid()}}"]}""", "changes.causedBy", "immutable" },
        { new AdoptionDecided { SiteId = Site, Outcome = AdoptionOutcome.Adopt, OccurredAt = Day("2015-01-01"), Provenance = Stated },
            """{"outcome":"decline"}""", "changes.outcome", "immutable" },
        { new BarrierResolved { BarrierEventId = Guid.NewGuid(), How = "a second nurse", OccurredAt = Day("2016-01-01"), Provenance = Stated },
            $$"""{"barrierEventId":"{{Guid.NewGuid()}}"}""", "changes.barrierEventId", "immutable" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void A_correction_that_would_make_a_fact_no_recording_could_is_a_400_naming_the_changed_field(JourneyEvent original, string changes, string field, string rule)
    {
        var refusal = RefusalOf(original, changes);

        (refusal.Status, refusal.Field, refusal.Rule).ShouldBe((400, field, rule));
    }

    [Fact]
    public void A_correction_or_retraction_stands_as_recorded()
    {
        var retraction = new EventRetracted { RetractedEventId = Guid.NewGuid(), Reason = "in error", OccurredAt = Day("2024-01-01"), Provenance = Stated };

        var refusal = RefusalOf(retraction, """{"reason":"duplicate"}""");

        (refusal.Status, refusal.Field, refusal.Rule).ShouldBe((409, "correctedEventId", "correction-stands"));
    }

    [Fact]
    public void A_site_events_correction_names_the_site_and_what_the_register_counted_before_and_after()
    {
        var decision = Decide(Training, """{"count":21,"occurredAt":{"value":"2015-04","precision":"month"}}""");

        decision.Refused.ShouldBeFalse(string.Join("; ", decision.Refusals.Select(r => r.Detail)));
        var stored = decision.Events.ShouldHaveSingleItem().ShouldBeOfType<EventCorrected>();
        stored.SiteFact.ShouldBe(new CorrectedSiteFact(Site) { Was = new UndoneSiteFact(Site) { StaffTrained = 12 }, Now = new UndoneSiteFact(Site) { StaffTrained = 21 } });
        stored.ReferencedOrganisations().ShouldBe([("siteFact.siteId", Site)]);
    }

    [Fact]
    public void A_caller_does_not_say_what_the_register_counted()
    {
        var known = KnownEvent.Of(Target, InnovationId, Fact(Training));
        var told = new EventCorrected
        {
            CorrectedEventId = Target, Reason = "typo", OccurredAt = Day("2024-01-01"), Provenance = Stated,
            Changes = new Dictionary<string, JsonElement> { ["count"] = JsonSerializer.SerializeToElement(21) },
            SiteFact = new CorrectedSiteFact(Site) { Was = new UndoneSiteFact(Site) { StaffTrained = 1 } },
        };

        var decision = JourneyDecider.Decide(Registered(), Fact(told), Knowing(events: [known]), Now, User);

        (decision.Refusals.ShouldHaveSingleItem().Field, decision.Refusals[0].Rule).ShouldBe(("siteFact", "set-by-store"));
    }

    [Fact]
    public void A_correction_of_a_fact_that_is_no_site_event_names_no_site()
    {
        var decision = Decide(Funding, """{"amount":{"amount":200000,"currency":"GBP"},"summary":"£200k, not £250k"}""");

        decision.Refused.ShouldBeFalse(string.Join("; ", decision.Refusals.Select(r => r.Detail)));
        decision.Events.ShouldHaveSingleItem().ShouldBeOfType<EventCorrected>().SiteFact.ShouldBeNull();
    }

    [Fact]
    public void The_corrected_fact_is_the_original_with_each_changed_field_replaced()
    {
        var corrected = CorrectedFact.Apply(Fact(Funding), new Dictionary<string, JsonElement>
        {
            ["amount"] = JsonSerializer.SerializeToElement(new { amount = 200_000, currency = "GBP" }),
            ["occurredAt"] = JsonSerializer.SerializeToElement(new { value = "2016-02", precision = "month" }),
        });

        // Lists compare by reference in a record: the JSON says whether every field is as expected.
        var expected = Fact(Funding) with { Amount = new Money { Amount = 200_000, Currency = "GBP" }, OccurredAt = new PartialDate { Value = "2016-02", Precision = DatePrecision.Month } };
        JsonSerializer.Serialize(corrected, corrected.GetType(), Json.Options).ShouldBe(JsonSerializer.Serialize(expected, Json.Options));
        corrected.ShouldBeOfType<FundingSecured>();
    }
}
