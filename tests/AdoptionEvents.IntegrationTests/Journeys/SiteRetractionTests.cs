using System.Net;
using System.Net.Http.Json;
using AdoptionEvents.Evaluation;
using AdoptionEvents.IntegrationTests.Infrastructure;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.ReadModels.InnovationSummaries;
using AdoptionEvents.ReadModels.SiteRegister;
using AdoptionEvents.Tests;

namespace AdoptionEvents.IntegrationTests.Journeys;

/// <summary>
/// A retraction of an event that changed a site's state takes the change back: in the next decision, the site register,
/// the summary's site figures and stage, and the as-of views; the history keeps both events and says what was taken back.
/// </summary>
public class SiteRetractionTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Provenance Stated = new() { Basis = Basis.Stated };

    private sealed record Journey(Guid Innovation, Guid Origin, Guid Site, Guid Aware, Guid Decided, Guid Live);

    /// <summary>An innovation live at its origin and at one other site (early spread).</summary>
    private async Task<Journey> SpreadToOneSiteAsync(string name)
    {
        var client = api.Client;
        var (origin, site) = (await client.RegisterOrganisationAsync($"{name} origin"), await client.RegisterOrganisationAsync($"{name} site"));
        var innovation = (await client.StartAsync(new InnovationRegistered { Name = name, InnovationType = "digital", OriginOrganisationId = origin, OccurredAt = SampleJourney.Year("2010"), Provenance = Stated })).InnovationId;
        async Task<Guid> RecordAsync(JourneyEvent fact) => (await client.RecordAsync(innovation, fact)).Events.Single().Id;
        await RecordAsync(new AdoptionDecided { SiteId = origin, Outcome = AdoptionOutcome.Adopt, OccurredAt = SampleJourney.Year("2010"), Provenance = Stated });
        await RecordAsync(new ServiceWentLive { SiteId = origin, OccurredAt = SampleJourney.Year("2010"), Provenance = Stated });
        var aware = await RecordAsync(new AdopterAware { SiteId = site, OccurredAt = SampleJourney.Year("2011"), Provenance = Stated });
        var decided = await RecordAsync(new AdoptionDecided { SiteId = site, Outcome = AdoptionOutcome.Adopt, OccurredAt = SampleJourney.Year("2012"), Provenance = Stated });
        var live = await RecordAsync(new ServiceWentLive { SiteId = site, OccurredAt = SampleJourney.Year("2013"), Provenance = Stated });
        return new Journey(innovation, origin, site, aware, decided, live);
    }

    private static EventRetracted Retraction(Guid id) => new() { RetractedEventId = id, Reason = "recorded against the wrong site", OccurredAt = SampleJourney.Year("2014"), Provenance = Stated };

    private async Task<InnovationSummary> SummaryAsync(Guid innovation)
    {
        await using var session = api.Store.QuerySession();
        return (await session.LoadAsync<InnovationSummary>(innovation, Ct))!;
    }

    private async Task<SiteAdoption?> RegisterEntryAsync(Guid innovation, Guid site) =>
        (await api.Client.Http.GetFromJsonAsync<SiteAdoptionPage>($"/api/innovations/{innovation}/sites", ApiClient.JsonOptions, Ct))!.Items.SingleOrDefault(s => s.SiteId == site);

    [Fact]
    public async Task A_retracted_go_live_takes_the_site_back_everywhere_and_the_site_may_go_live_again()
    {
        var journey = await SpreadToOneSiteAsync("Retracted go-live");
        await api.CatchUpAsync();
        (await SummaryAsync(journey.Innovation)).Stage.ShouldBe(Stage.EarlySpread);

        await api.Client.RecordAsync(journey.Innovation, Retraction(journey.Live));

        // The history keeps the go-live and says what its retraction took back.
        var history = await api.Client.HistoryAsync(journey.Innovation);
        var retraction = history.Events[^1];
        retraction.Type.ShouldBe("event_retracted");
        var change = retraction.Data.GetProperty("siteChange");
        (change.GetProperty("siteId").GetGuid(), change.GetProperty("from").GetString(), change.GetProperty("to").GetString()).ShouldBe((journey.Site, "live", "adopting"));
        history.Events.ShouldContain(e => e.Id == journey.Live);
        (await api.Client.HistoryAsync(journey.Innovation, $"?siteId={journey.Site}")).Events.Select(e => e.Type)
            .ShouldBe(["adopter_aware", "adoption_decided", "service_went_live", "event_retracted"]);

        await api.CatchUpAsync();
        var summary = await SummaryAsync(journey.Innovation);
        (summary.Stage, summary.SiteEventLiveCount, summary.LiveOutsideOrigin, summary.EverLive).ShouldBe((Stage.EmbeddedAtOrigin, 1, 0, 1));
        summary.SitesByState[SiteState.Adopting].ShouldBe(1);

        // The daemon folded the summary again without the go-live: the dates it set are gone, as if it had never been recorded.
        summary.KeyDates.Keys.ShouldBe(["conceived", "embedded_at_origin", "first_live"], ignoreOrder: true);
        summary.LastNewLiveSite.ShouldBe(new DateOnly(2010, 7, 2));
        (summary.EventCount, summary.LastEvent!.Type).ShouldBe((7, "event_retracted"));
        var entry = (await RegisterEntryAsync(journey.Innovation, journey.Site))!;
        entry.State.ShouldBe(SiteState.Adopting);
        entry.Transitions.Select(t => t.EventId).ShouldBe([journey.Aware, journey.Decided]);

        // As the record showed before the retraction, the site was live.
        var before = Uri.EscapeDataString(history.Events[^2].RecordedAt.ToString("O"));
        var then = (await api.Client.Http.GetFromJsonAsync<AsOfView>($"/api/innovations/{journey.Innovation}/as-of?recordedBy={before}", ApiClient.JsonOptions, Ct))!;
        (then.Sites.Single(s => s.SiteId == journey.Site).State, then.Summary!.Stage).ShouldBe((SiteState.Live, Stage.EarlySpread));
        var now = (await api.Client.Http.GetFromJsonAsync<AsOfView>($"/api/innovations/{journey.Innovation}/as-of?occurredBy=2030-01-01", ApiClient.JsonOptions, Ct))!;
        (now.Sites.Single(s => s.SiteId == journey.Site).State, now.Summary!.Stage).ShouldBe((SiteState.Adopting, Stage.EmbeddedAtOrigin));

        // The next decision reads the site as adopting: not live, so not sustained; it may go live again.
        var sustained = new SustainmentConfirmed { SiteId = journey.Site, Evidence = "a year of use", OccurredAt = SampleJourney.Year("2015"), Provenance = Stated };
        var refused = await ApiClient.ProblemAsync(await api.Client.PostFactAsync(journey.Innovation, ApiClient.Body(sustained)), HttpStatusCode.Conflict);
        (refused.GetProperty("rule").GetString(), refused.GetProperty("detail").GetString()).ShouldBe(("site-transition", "type: sustainment_confirmed cannot follow site state 'adopting' (allowed from: live)"));
        var again = (await api.Client.RecordAsync(journey.Innovation, new ServiceWentLive { SiteId = journey.Site, OccurredAt = SampleJourney.Year("2015"), Provenance = Stated })).Events.Single().Id;
        await api.CatchUpAsync();
        (await SummaryAsync(journey.Innovation)).Stage.ShouldBe(Stage.EarlySpread);

        // The changes that stand are read from the events, the first go-live left out as retracted: the second is now the latest.
        var earlier = await ApiClient.ProblemAsync(await api.Client.PostFactAsync(journey.Innovation, ApiClient.Body(Retraction(journey.Decided))), HttpStatusCode.Conflict);
        earlier.GetProperty("detail").GetString()!.ShouldContain($"retract {again} (which made it live) first");
        await api.Client.RecordAsync(journey.Innovation, Retraction(again));
        await api.Client.RecordAsync(journey.Innovation, Retraction(journey.Decided));
        await api.CatchUpAsync();
        (await RegisterEntryAsync(journey.Innovation, journey.Site))!.State.ShouldBe(SiteState.Aware);
        (await SummaryAsync(journey.Innovation)).Stage.ShouldBe(Stage.EmbeddedAtOrigin);
    }

    [Fact]
    public async Task A_retraction_stands_and_cannot_itself_be_retracted()
    {
        var journey = await SpreadToOneSiteAsync("Retraction stands");
        var retraction = (await api.Client.RecordAsync(journey.Innovation, Retraction(journey.Live))).Events.Single().Id;
        var version = (await api.Client.HistoryAsync(journey.Innovation)).Version;

        var refused = await ApiClient.ProblemAsync(await api.Client.PostFactAsync(journey.Innovation, ApiClient.Body(Retraction(retraction))), HttpStatusCode.Conflict);

        (refused.GetProperty("field").GetString(), refused.GetProperty("rule").GetString()).ShouldBe(("retractedEventId", "retraction-stands"));
        refused.GetProperty("detail").GetString()!.ShouldContain("record the retracted fact again");
        (await api.Client.HistoryAsync(journey.Innovation)).Version.ShouldBe(version);

        // As the refusal says: the go-live recorded again.
        await api.Client.RecordAsync(journey.Innovation, new ServiceWentLive { SiteId = journey.Site, OccurredAt = SampleJourney.Year("2013"), Provenance = Stated });
        await api.CatchUpAsync();
        (await SummaryAsync(journey.Innovation)).KeyDates["early_spread"].Value.ShouldBe("2013");
    }

    [Fact]
    public async Task Only_the_latest_change_of_a_sites_state_may_be_retracted_and_the_store_says_what_a_retraction_takes_back()
    {
        var journey = await SpreadToOneSiteAsync("Retraction refusals");
        var version = (await api.Client.HistoryAsync(journey.Innovation)).Version;

        var earlier = await ApiClient.ProblemAsync(await api.Client.PostFactAsync(journey.Innovation, ApiClient.Body(Retraction(journey.Decided))), HttpStatusCode.Conflict);
        (earlier.GetProperty("field").GetString(), earlier.GetProperty("rule").GetString()).ShouldBe(("retractedEventId", "latest-site-change"));
        earlier.GetProperty("detail").GetString()!.ShouldContain($"retract {journey.Live} (which made it live) first");

        var told = Retraction(journey.Live) with { SiteChange = new UndoneSiteChange(journey.Site, SiteState.Live, SiteState.Implementing) };
        var wrong = await ApiClient.ProblemAsync(await api.Client.PostFactAsync(journey.Innovation, ApiClient.Body(told)), HttpStatusCode.BadRequest);
        (wrong.GetProperty("field").GetString(), wrong.GetProperty("rule").GetString()).ShouldBe(("siteChange", "set-by-store"));
        wrong.GetProperty("detail").GetString()!.ShouldContain("goes back from live to adopting");

        // Nothing was stored by the refusals; taken back latest first, each retraction is accepted.
        (await api.Client.HistoryAsync(journey.Innovation)).Version.ShouldBe(version);
        await api.Client.RecordAsync(journey.Innovation, Retraction(journey.Live));
        await api.Client.RecordAsync(journey.Innovation, Retraction(journey.Decided));
        var again = await ApiClient.ProblemAsync(await api.Client.PostFactAsync(journey.Innovation, ApiClient.Body(Retraction(journey.Live))), HttpStatusCode.Conflict);
        again.GetProperty("rule").GetString().ShouldBe("not-retracted");

        await api.CatchUpAsync();
        (await RegisterEntryAsync(journey.Innovation, journey.Site))!.State.ShouldBe(SiteState.Aware);
    }

    [Fact]
    public async Task A_site_whose_only_change_is_retracted_after_the_read_models_stored_it_leaves_them()
    {
        var journey = await SpreadToOneSiteAsync("Only change retracted");
        var other = await api.Client.RegisterOrganisationAsync("Only change retracted, another site");
        var aware = (await api.Client.RecordAsync(journey.Innovation, new AdopterAware { SiteId = other, OccurredAt = SampleJourney.Year("2014"), Provenance = Stated })).Events.Single().Id;
        await api.CatchUpAsync();
        (await RegisterEntryAsync(journey.Innovation, other)).ShouldNotBeNull();

        await api.Client.RecordAsync(journey.Innovation, Retraction(aware));
        await api.CatchUpAsync();

        (await RegisterEntryAsync(journey.Innovation, other)).ShouldBeNull();
        (await api.Client.Http.GetFromJsonAsync<SiteAdoptionPage>($"/api/organisations/{other}/adoptions", ApiClient.JsonOptions, Ct))!.Items.ShouldBeEmpty();
        await using var session = api.Store.QuerySession();
        (await session.LoadAsync<SummarySite>(SummarySite.IdFor(journey.Innovation, other), Ct)).ShouldBeNull();
        (await SummaryAsync(journey.Innovation)).SitesByState.GetValueOrDefault(SiteState.Aware).ShouldBe(0);
        var status = (await session.LoadAsync<SiteStatus>(SiteStatus.IdFor(journey.Innovation, other), Ct))!;
        (status.State, status.Moves.Count).ShouldBe((null, 0));

        // The site may become aware again, as if for the first time.
        await api.Client.RecordAsync(journey.Innovation, new AdopterAware { SiteId = other, OccurredAt = SampleJourney.Year("2015"), Provenance = Stated });
    }

    [Fact]
    public async Task A_retracted_staff_training_is_taken_off_the_site_register()
    {
        var journey = await SpreadToOneSiteAsync("Retracted training");
        var trained = (await api.Client.RecordAsync(journey.Innovation,
            new StaffTrained { SiteId = journey.Site, Count = 12, Role = "nurses", OccurredAt = SampleJourney.Year("2014"), Provenance = Stated })).Events.Single().Id;
        await api.Client.RecordAsync(journey.Innovation, new StaffTrained { SiteId = journey.Site, Count = 3, Role = "doctors", OccurredAt = SampleJourney.Year("2014"), Provenance = Stated });
        await api.CatchUpAsync();
        (await RegisterEntryAsync(journey.Innovation, journey.Site))!.StaffTrained.ShouldBe(15);

        await api.Client.RecordAsync(journey.Innovation, Retraction(trained));
        var retraction = (await api.Client.HistoryAsync(journey.Innovation)).Events[^1].Data;
        retraction.TryGetProperty("siteChange", out _).ShouldBeFalse();
        (retraction.GetProperty("siteFact").GetProperty("siteId").GetGuid(), retraction.GetProperty("siteFact").GetProperty("staffTrained").GetInt32()).ShouldBe((journey.Site, 12));

        await api.CatchUpAsync();
        (await RegisterEntryAsync(journey.Innovation, journey.Site))!.StaffTrained.ShouldBe(3);
    }

    [Fact]
    public async Task A_retracted_commissioning_takes_back_the_date_of_the_first_and_the_site_is_commissioned_while_another_stands()
    {
        var journey = await SpreadToOneSiteAsync("Retracted commissioning");
        async Task<Guid> CommissionAsync(string year) => (await api.Client.RecordAsync(journey.Innovation,
            new CommissioningSecured { SiteId = journey.Site, Commissioner = "an ICB", OccurredAt = SampleJourney.Year(year), Provenance = Stated })).Events.Single().Id;
        var first = await CommissionAsync("2014");
        var second = await CommissionAsync("2016");
        await api.CatchUpAsync();
        ((await SummaryAsync(journey.Innovation)).KeyDates["first_commissioning"].Value).ShouldBe("2014");

        // As a register written before commissionings were counted: the upgrade sees it and rebuilds the register at start.
        await api.UpgradeFromOlderAsync<SiteRegisterUpgrade>("update {schema}.mt_doc_siteadoption set data = data - 'commissionings'");
        (await RegisterEntryAsync(journey.Innovation, journey.Site))!.Commissionings.ShouldBe(2);

        await api.Client.RecordAsync(journey.Innovation, Retraction(first));
        (await api.Client.HistoryAsync(journey.Innovation)).Events[^1].Data.GetProperty("siteFact").GetProperty("commissioning").GetBoolean().ShouldBeTrue();
        await api.CatchUpAsync();
        var entry = (await RegisterEntryAsync(journey.Innovation, journey.Site))!;
        (entry.Commissioned, entry.Commissionings).ShouldBe((true, 1));
        ((await SummaryAsync(journey.Innovation)).KeyDates["first_commissioning"].Value).ShouldBe("2016");

        await api.Client.RecordAsync(journey.Innovation, Retraction(second));
        await api.CatchUpAsync();
        entry = (await RegisterEntryAsync(journey.Innovation, journey.Site))!;
        (entry.Commissioned, entry.Commissionings).ShouldBe((false, 0));
        (await SummaryAsync(journey.Innovation)).KeyDates.ShouldNotContainKey("first_commissioning");
    }
}
