using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AdoptionEvents.Evaluation;
using AdoptionEvents.IntegrationTests.Infrastructure;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Audit;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.ReadModels.InnovationSummaries;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AdoptionEvents.IntegrationTests.Evaluation;

public class AuditAndReplayTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Provenance Stated = new() { Basis = Basis.Stated };

    private static PartialDate D(string v) => new() { Value = v, Precision = DatePrecision.Day };

    private async Task<T> GetAsync<T>(string url)
    {
        var response = await api.Client.Http.GetAsync(url, Ct);
        await ApiClient.ExpectAsync(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<T>(ApiClient.JsonOptions, Ct))!;
    }

    private async Task<(Guid Innovation, Guid SiteA, Guid SiteB, List<Guid> Events)> LateRecordedJourneyAsync(string name)
    {
        var client = api.Client;
        var a = await client.RegisterOrganisationAsync($"{name} A");
        var b = await client.RegisterOrganisationAsync($"{name} B");
        var start = await client.StartAsync(new InnovationRegistered { Name = name, InnovationType = "digital", OriginOrganisationId = a, OccurredAt = D("2005-01-01"), Provenance = Stated });
        var ids = new List<Guid> { start.Events[0].Id };
        foreach (var fact in new JourneyEvent[]
        {
            new AdoptionDecided { SiteId = a, Outcome = AdoptionOutcome.Adopt, OccurredAt = D("2010-01-01"), Provenance = Stated },
            new ServiceWentLive { SiteId = a, OccurredAt = D("2010-06-01"), Provenance = Stated },
            // Recorded later, but happened earlier: site B went live in 2008.
            new AdoptionDecided { SiteId = b, Outcome = AdoptionOutcome.Adopt, OccurredAt = D("2008-01-01"), Provenance = Stated },
            new ServiceWentLive { SiteId = b, OccurredAt = D("2008-06-01"), Provenance = Stated },
        })
        {
            ids.Add((await client.RecordAsync(start.InnovationId, fact)).Events[0].Id);
        }

        return (start.InnovationId, a, b, ids);
    }

    [Fact]
    public async Task A_row_changed_in_the_database_is_found_by_verification_naming_that_event()
    {
        var (innovation, _, _, events) = await LateRecordedJourneyAsync("Tampered");
        (await GetAsync<VerificationReport>($"/api/innovations/{innovation}/verification")).Intact.ShouldBeTrue();

        await using (var connection = new NpgsqlConnection(api.Database.ConnectionString))
        {
            await connection.OpenAsync(Ct);
            await using var update = new NpgsqlCommand(
                $"update {api.Schema}.mt_events set data = jsonb_set(data, '{{occurredAt,value}}', '\"2007-06-01\"') where id = $1", connection)
            {
                Parameters = { new() { Value = events[4] } },
            };
            (await update.ExecuteNonQueryAsync(Ct)).ShouldBe(1);
        }

        var report = await GetAsync<VerificationReport>($"/api/innovations/{innovation}/verification");
        report.Intact.ShouldBeFalse();
        (report.FirstBroken!.EventId, report.FirstBroken.Version, report.FirstBroken.Type).ShouldBe((events[4], 5, "service_went_live"));

        var all = await GetAsync<VerificationReport>("/api/verification");
        all.Broken.Select(b => b.EventId).ShouldContain(events[4]);
        await ApiClient.ProblemAsync(await api.Client.Http.GetAsync($"/api/innovations/{Guid.NewGuid()}/verification", Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task As_of_views_answer_on_the_occurred_axis_the_recorded_axis_and_both()
    {
        var (innovation, a, b, _) = await LateRecordedJourneyAsync("Two axes");
        var history = await api.Client.HistoryAsync(innovation);
        var whenALive = history.Events[2].RecordedAt;

        var occurred = await GetAsync<AsOfView>($"/api/innovations/{innovation}/as-of?occurredBy=2009-01-01");
        occurred.Sites.Select(s => (s.SiteId, s.State)).ShouldBe([(b, SiteState.Live)]);
        occurred.Summary!.Stage.ShouldBe(Stage.EarlySpread);

        var recorded = await GetAsync<AsOfView>($"/api/innovations/{innovation}/as-of?recordedBy={Uri.EscapeDataString(whenALive.ToString("O"))}");
        recorded.Sites.Select(s => (s.SiteId, s.State)).ShouldBe([(a, SiteState.Live)]);
        (recorded.EventsIncluded, recorded.EventsInJourney).ShouldBe((3, 5));
        recorded.Summary!.Stage.ShouldBe(Stage.EmbeddedAtOrigin);

        var both = await GetAsync<AsOfView>($"/api/innovations/{innovation}/as-of?occurredBy=2009-01-01&recordedBy={Uri.EscapeDataString(whenALive.ToString("O"))}");
        both.Sites.ShouldBeEmpty();
        both.Summary!.Stage.ShouldBe(Stage.Conceived);

        await ApiClient.ProblemAsync(await api.Client.Http.GetAsync($"/api/innovations/{Guid.NewGuid()}/as-of?occurredBy=2009-01-01", Ct), HttpStatusCode.NotFound);
        (await api.Client.Http.GetAsync($"/api/innovations/{innovation}/as-of?occurredBy=soon", Ct)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Replay_steps_through_the_journey_with_the_state_after_each_event()
    {
        var (innovation, _, _, events) = await LateRecordedJourneyAsync("Replayed");

        var first = await GetAsync<ReplayPage>($"/api/innovations/{innovation}/replay?limit=3");
        first.Steps.Select(s => (s.Version, s.Stage, s.LiveSites)).ShouldBe([(1, Stage.Conceived, 0), (2, Stage.Conceived, 0), (3, Stage.EmbeddedAtOrigin, 1)]);
        first.NextFromVersion.ShouldBe(4);

        var rest = await GetAsync<ReplayPage>($"/api/innovations/{innovation}/replay?fromVersion=4");
        rest.Steps.Select(s => s.EventId).ShouldBe(events.Skip(3));
        rest.Steps[^1].Stage.ShouldBe(Stage.EarlySpread);
        rest.NextFromVersion.ShouldBeNull();
    }

    [Fact]
    public async Task History_filters_by_family_type_site_and_dates_and_carries_the_seal()
    {
        var (innovation, a, _, events) = await LateRecordedJourneyAsync("Filtered");

        (await api.Client.HistoryAsync(innovation, "?family=site_adoption")).Events.Count.ShouldBe(4);
        (await api.Client.HistoryAsync(innovation, "?type=service_went_live,innovation_registered")).Events.Select(e => e.Version).ShouldBe([1, 3, 5]);
        // The registration names site A as its origin, so it is among the events naming A.
        (await api.Client.HistoryAsync(innovation, $"?siteId={a}")).Events.Select(e => e.Id).ShouldBe([events[0], events[1], events[2]]);
        (await api.Client.HistoryAsync(innovation, "?occurredFrom=2008-01-01&occurredTo=2009-12-31")).Events.Select(e => e.Id).ShouldBe([events[3], events[4]]);
        (await api.Client.HistoryAsync(innovation)).Events.ShouldAllBe(e => e.Hash != null && e.Hash.Length == 64);

        (await ApiClient.ProblemAsync(await api.Client.Http.GetAsync($"/api/innovations/{innovation}/events?type=teleported", Ct), HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("type");
        (await ApiClient.ProblemAsync(await api.Client.Http.GetAsync($"/api/innovations/{innovation}/events?family=magic", Ct), HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("family");
    }

    [Fact]
    public async Task Measures_and_comparisons_are_served_with_their_refusals()
    {
        var (one, _, _, _) = await LateRecordedJourneyAsync("Measured one");
        var (two, _, _, _) = await LateRecordedJourneyAsync("Measured two");

        var measures = await GetAsync<JsonElement>($"/api/innovations/{one}/measures");
        measures.GetProperty("measures").GetProperty("timeTo").GetProperty("first_adoption_outside_origin").GetProperty("midpointDays").GetInt32().ShouldBe(1247);
        measures.GetProperty("measures").GetProperty("logistic").GetProperty("notEnoughData").GetString()!.ShouldContain("at least 5");

        var compared = await GetAsync<Comparison>($"/api/evaluation/compare?innovationIds={one},{two}&alignOn=innovation_registered");
        compared.Journeys.Select(j => j.Measures.Name).ShouldBe(["Measured one", "Measured two"]);

        (await ApiClient.ProblemAsync(await api.Client.Http.GetAsync($"/api/evaluation/compare?innovationIds={one}", Ct), HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("innovationIds");
        (await ApiClient.ProblemAsync(await api.Client.Http.GetAsync($"/api/innovations/{one}/measures?alignOn=lunch", Ct), HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("alignOn");
        await ApiClient.ProblemAsync(await api.Client.Http.GetAsync($"/api/evaluation/compare?innovationIds={one},{Guid.NewGuid()}", Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Corrections_show_in_history_and_replay_uses_the_corrected_values()
    {
        var client = api.Client;
        var start = await client.StartAsync(new InnovationRegistered { Name = "Corrected", InnovationType = "digital", OccurredAt = D("2005-01-01"), Provenance = Stated });
        var metric = await client.RecordAsync(start.InnovationId, new AdoptionEvents.Journeys.Measures.MetricObserved { Metric = "sites_live", Value = 10, Unit = "count", OccurredAt = D("2010-01-01"), Provenance = Stated });
        await client.RecordAsync(start.InnovationId, new AdoptionEvents.Journeys.Corrections.EventCorrected
        {
            CorrectedEventId = metric.Events[0].Id, Reason = "the source said 12", OccurredAt = D("2011-01-01"), Provenance = Stated,
            Changes = new Dictionary<string, JsonElement> { ["value"] = JsonSerializer.SerializeToElement(12) },
        });

        var history = await client.HistoryAsync(start.InnovationId);
        history.Events.Select(e => e.Type).ShouldBe(["innovation_registered", "metric_observed", "event_corrected"]);
        history.Events[1].Data.GetProperty("value").GetDecimal().ShouldBe(10);

        var asOf = await GetAsync<AsOfView>($"/api/innovations/{start.InnovationId}/as-of?occurredBy=2010-06-01");
        asOf.Summary!.ObservedLiveSites.ShouldBe(12);
    }

    [Fact]
    public async Task An_as_of_view_lists_the_barriers_as_they_stood_at_the_cut()
    {
        var client = api.Client;
        var start = await client.StartAsync(new InnovationRegistered { Name = "Barriers as of", InnovationType = "digital", OccurredAt = D("2005-01-01"), Provenance = Stated });
        var barrier = (await client.RecordAsync(start.InnovationId, new AdoptionEvents.Journeys.Barriers.BarrierEncountered
        {
            Code = "D2", Scope = AdoptionEvents.Journeys.Barriers.BarrierScope.Innovation, Severity = AdoptionEvents.Journeys.Barriers.Severity.High, OccurredAt = D("2010-01-01"), Provenance = Stated,
        })).Events[0].Id;
        await client.RecordAsync(start.InnovationId, new AdoptionEvents.Journeys.Barriers.BarrierResolved { BarrierEventId = barrier, How = "pooled budget", OccurredAt = D("2012-01-01"), Provenance = Stated });

        var before = await GetAsync<AsOfView>($"/api/innovations/{start.InnovationId}/as-of?occurredBy=2009-12-31");
        var open = await GetAsync<AsOfView>($"/api/innovations/{start.InnovationId}/as-of?occurredBy=2011-01-01");
        var now = await GetAsync<AsOfView>($"/api/innovations/{start.InnovationId}/as-of?occurredBy=2026-01-01");

        before.Barriers.ShouldBeEmpty();
        (open.Barriers.Single().EventId, open.Barriers.Single().ResolvedAt, open.Summary!.OpenBarrierCount).ShouldBe((barrier, null, 1));
        (now.Barriers.Single().How, now.Summary!.OpenBarrierCount).ShouldBe(("pooled budget", 0));
    }

    [Fact]
    public async Task Answers_from_the_events_kept_between_requests_equal_a_fold_of_the_stream_read_afresh_before_and_after_more_is_recorded()
    {
        var client = api.Client;
        var site = await client.RegisterOrganisationAsync("Kept A");
        var other = await client.RegisterOrganisationAsync("Kept B");
        var ids = new Dictionary<string, Guid>();
        var innovation = Guid.Empty;
        DateTimeOffset? midway = null;

        // The sample journey uses every event type: late-recorded facts (occurred long before the ones recorded
        // before them), a correction, a retraction, causal links asserted and withdrawn. It is checked part-way,
        // so the copy kept by the first requests is extended by the later ones.
        var steps = AdoptionEvents.Tests.SampleJourney.Steps(site, other);
        foreach (var (label, build) in steps)
        {
            var fact = build(l => ids[l]);
            var recorded = innovation == Guid.Empty ? await client.StartAsync(fact) : await client.RecordAsync(innovation, fact);
            innovation = recorded.InnovationId;
            ids[label] = recorded.Events.Single().Id;
            if (label is "live" or "retired")
            {
                midway ??= (await client.HistoryAsync(innovation)).Events[^1].RecordedAt;
                await SameAnswersAsync(innovation, midway.Value);
            }
        }
    }

    [Fact]
    public async Task Cuts_inside_a_long_imported_journey_answer_from_kept_folds_of_their_prefix_as_a_fresh_fold_would_before_and_after_back_dated_facts()
    {
        var batch = AdoptionEvents.Importing.Synthetic.LargeJourney.Generate(60, 2_500, seed: 7);
        var report = await api.Host.Services.GetRequiredService<AdoptionEvents.Importing.Importer>()
            .ImportAsync(batch, new AdoptionEvents.Importing.ImportOptions("tester", AdoptionEvents.Importing.BulkMode.Always), null, Ct);
        report.Outcome.ShouldBe(AdoptionEvents.Importing.ImportOutcome.Succeeded, string.Join("; ", report.Problems));
        var journey = batch.Journeys[0];
        var innovation = journey.InnovationId;
        DateOnly[] dates = [new(2016, 12, 31), new(2021, 6, 30), new(2024, 12, 31), new(2021, 7, 31), new(2013, 1, 1)];

        await SameCutsAsync(innovation, dates);
        await SameCutsAsync(innovation, dates);
        var rules = api.Host.Services.GetRequiredService<IOptions<StageThresholds>>().Value;
        await using (var session = api.Store.QuerySession())
        {
            var kept = await api.Host.Services.GetRequiredService<JourneyEvents>().ReadKeptAsync(session, innovation, Ct);
            var axes = new TimeAxes(new DateOnly(2024, 12, 31), null);
            var prefix = kept.Events.TakeWhile(axes.Includes).Count();
            kept.Checkpoint.Start(kept.Events, rules, prefix).ShouldNotBeNull().Count.ShouldBe(prefix);
        }

        // Recorded now, dated in the past: every cut after 2014 includes them, after the prefixes kept so far.
        var stopped = journey.Events.Select(e => e.Fact).Where(f => f is AdoptionDiscontinued or AdoptionSuspended).Select(f => ((SiteEvent)f).SiteId).ToHashSet();
        var live = journey.Events.Select(e => e.Fact).OfType<ServiceWentLive>().First(f => !stopped.Contains(f.SiteId)).SiteId;
        var metric = journey.Events.First(e => e.Fact is AdoptionEvents.Journeys.Measures.MetricObserved).Id;
        await api.Client.RecordAsync(innovation, new StaffTrained { SiteId = live, Count = 40, Role = "GP", OccurredAt = D("2014-03-01"), Provenance = Stated });
        await api.Client.RecordAsync(innovation, new AdoptionEvents.Journeys.Corrections.EventRetracted { RetractedEventId = metric, Reason = "double counted", OccurredAt = D("2026-01-01"), Provenance = Stated });
        await SameCutsAsync(innovation, dates);
        await SameCutsAsync(innovation, [.. dates.Reverse()]);
    }

    private async Task SameCutsAsync(Guid innovation, IEnumerable<DateOnly> dates)
    {
        var rules = api.Host.Services.GetRequiredService<IOptions<StageThresholds>>().Value;

        // The API's own options: the generated text has an apostrophe, which the default encoder escapes and the API's does not.
        var http = api.Host.Services.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        IReadOnlyList<JasperFx.Events.IEvent> stream;
        await using (var session = api.Store.QuerySession())
        {
            stream = await session.Events.FetchStreamAsync(innovation, token: Ct);
        }

        foreach (var date in dates)
        {
            var answer = await TextAsync($"/api/innovations/{innovation}/as-of?occurredBy={date:yyyy-MM-dd}");
            answer.ShouldBe(JsonSerializer.Serialize(AsOfEndpoints.View(innovation, stream, rules, date, null, DateOnly.FromDateTime(DateTime.UtcNow)), http), $"occurredBy {date}");
        }
    }

    private async Task SameAnswersAsync(Guid innovation, DateTimeOffset midway)
    {
        var rules = api.Host.Services.GetRequiredService<IOptions<StageThresholds>>().Value;
        var http = new JsonSerializerOptions();
        AdoptionEvents.Hosting.Json.ConfigureHttp(http);
        IReadOnlyList<JasperFx.Events.IEvent> stream;
        await using (var session = api.Store.QuerySession())
        {
            stream = await session.Events.FetchStreamAsync(innovation, token: Ct);
            var kept = await api.Host.Services.GetRequiredService<JourneyEvents>().ReadAsync(session, innovation, Ct);
            kept.Select(e => (e.Id, e.Version, e.Sequence, e.Timestamp, e.EventTypeName, e.UserName, e.StreamId, JsonSerializer.Serialize(e.Data, e.Data.GetType(), http)))
                .ShouldBe(stream.Select(e => (e.Id, e.Version, e.Sequence, e.Timestamp, e.EventTypeName, e.UserName, e.StreamId, JsonSerializer.Serialize(e.Data, e.Data.GetType(), http))));

            // What the kept events hold alike is held once, also across the reads that extended the copy.
            var facts = kept.Select(e => (JourneyEvent)e.Data).ToList();
            facts.Select(f => f.OccurredAt).Distinct(ReferenceEqualityComparer.Instance).Count().ShouldBe(facts.Select(f => f.OccurredAt).Distinct().Count());
            kept.Select(e => e.UserName).Distinct(ReferenceEqualityComparer.Instance).Count().ShouldBe(kept.Select(e => e.UserName).Distinct().Count());
            facts.Where(f => f.CausedBy.Count == 0).Select(f => f.CausedBy).Distinct(ReferenceEqualityComparer.Instance).Count().ShouldBeLessThanOrEqualTo(1);
        }

        var asOf = Uri.EscapeDataString(midway.ToString("O"));
        foreach (var (occurredBy, recordedBy, query) in new (DateOnly?, DateTimeOffset?, string)[]
        {
            (null, null, ""), (new DateOnly(2013, 6, 30), null, "occurredBy=2013-06-30"), (new DateOnly(2019, 12, 31), null, "occurredBy=2019-12-31"),
            (null, midway, $"recordedBy={asOf}"), (new DateOnly(2010, 1, 1), midway, $"occurredBy=2010-01-01&recordedBy={asOf}"),
        })
        {
            var before = DateOnly.FromDateTime(DateTime.UtcNow);
            var answer = await TextAsync($"/api/innovations/{innovation}/as-of?{query}");
            var after = DateOnly.FromDateTime(DateTime.UtcNow);
            answer.ShouldBeOneOf(
                JsonSerializer.Serialize(AsOfEndpoints.View(innovation, stream, rules, occurredBy, recordedBy, before), http),
                JsonSerializer.Serialize(AsOfEndpoints.View(innovation, stream, rules, occurredBy, recordedBy, after), http));
        }

        (await TextAsync($"/api/innovations/{innovation}/replay?fromVersion=2&limit=1000"))
            .ShouldBe(JsonSerializer.Serialize(AsOfEndpoints.ReplayOf(innovation, stream, rules, 2, 1000), http));

        var dayBefore = DateOnly.FromDateTime(DateTime.UtcNow);
        var measures = JsonDocument.Parse(await TextAsync($"/api/innovations/{innovation}/measures")).RootElement.GetProperty("measures").GetRawText();
        var dayAfter = DateOnly.FromDateTime(DateTime.UtcNow);
        measures.ShouldBeOneOf(
            JsonSerializer.Serialize(Measures.Compute(stream, rules, dayBefore), http),
            JsonSerializer.Serialize(Measures.Compute(stream, rules, dayAfter), http));
    }

    private async Task<string> TextAsync(string url)
    {
        var response = await api.Client.Http.GetAsync(url, Ct);
        await ApiClient.ExpectAsync(response, HttpStatusCode.OK);
        return await response.Content.ReadAsStringAsync(Ct);
    }
}
