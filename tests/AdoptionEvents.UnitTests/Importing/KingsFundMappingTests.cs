using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AdoptionEvents.Importing;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Barriers;
using AdoptionEvents.Journeys.Domino;
using AdoptionEvents.Journeys.Measures;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.SiteAdoption;

namespace AdoptionEvents.UnitTests.Importing;

public class KingsFundMappingTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly ImportBatch Demo = DemoData.Batch();

    private static ImportedEvent Event(string datasetId) => Demo.Journeys.SelectMany(j => j.Events).Single(e => e.Origin == datasetId);

    private static T Fact<T>(string datasetId) where T : JourneyEvent => (T)Event(datasetId).Fact;

    [Fact]
    public void The_demo_file_maps_to_eight_named_journeys_that_pass_every_rule()
    {
        Demo.Problems.ShouldBeEmpty();
        Demo.Journeys.Select(j => (j.Key, j.Events.Count)).ShouldBe(
        [
            ("kings-fund/AF", 20), ("kings-fund/EDC", 29), ("kings-fund/ESC", 33), ("kings-fund/FLO", 25),
            ("kings-fund/NEWS", 14), ("kings-fund/PIN", 20), ("kings-fund/SLP", 25), ("kings-fund/SSX", 19),
        ]);
        Demo.Journeys.Single(j => j.Key == "kings-fund/ESC").Name.ShouldBe("ESCAPE-pain");
        ImportValidation.Check(Demo, StoreKnowledge.Empty, Now, "test").ShouldBeEmpty();
    }

    [Fact]
    public void Every_data_set_event_is_kept_with_its_provenance_and_source_addresses()
    {
        var file = JsonDocument.Parse(DemoData.Bytes()).RootElement.GetProperty("events").EnumerateArray().ToList();
        var main = Demo.Journeys.SelectMany(j => j.Events).Where(e => !e.Origin.Contains(' ', StringComparison.Ordinal)).ToDictionary(e => e.Origin);

        main.Keys.ShouldBe(file.Select(e => e.GetProperty("id").GetString()!), ignoreOrder: true);
        foreach (var e in file)
        {
            var fact = main[e.GetProperty("id").GetString()!].Fact;
            fact.Provenance.Basis.ShouldBe(e.GetProperty("provenance").GetString() switch { "S" => Basis.Stated, "I" => Basis.Inferred, _ => Basis.Illustrative });
            fact.Provenance.Sources.Select(s => s.Id).ShouldBe(e.GetProperty("sources").EnumerateArray().Select(s => s.GetString()!));
            fact.Summary.ShouldBe(e.GetProperty("summary").GetString());
        }

        Fact<NeedIdentified>("ESC-01").Provenance.Sources.Single().Address.ShouldStartWith("https://");
        Fact<InnovationRegistered>("ESC-03").OccurredAt.ShouldBe(new PartialDate { Value = "2005", Precision = DatePrecision.Approximate });
        Fact<InnovationRegistered>("ESC-03").CausedBy.ShouldBe([DeterministicId.For("kings-fund/ESC-02")]);
    }

    [Fact]
    public void ReachMeasured_becomes_one_metric_per_numeric_field_with_the_vocabulary_codes()
    {
        var metrics = Demo.Journeys.SelectMany(j => j.Events).Where(e => e.Origin.StartsWith("ESC-13", StringComparison.Ordinal)).Select(e => (MetricObserved)e.Fact).ToList();

        metrics.Select(m => (m.Metric, m.Value, m.Unit, m.Cumulative)).ShouldBe(
        [
            ("sites_live", 110m, "count", true), ("participants", 9000m, "people", true), ("staff_trained", 770m, "people", true), ("maintenance_rate", 0.841m, "ratio", false),
        ]);
        Fact<MetricObserved>("AF-16").Metric.ShouldBe("treatment_rate");
        Demo.Journeys.SelectMany(j => j.Events).Single(e => e.Origin == "AF-16 (strokesAvoided)").Fact.ShouldBeOfType<MetricObserved>().Metric.ShouldBe("events_avoided");
        Fact<MetricObserved>("PIN-12").Metric.ShouldBe("practices_engaged");
        Fact<CoverageMilestoneReached>("ESC-09").Milestone.ShouldBe("monitoring start");
    }

    [Fact]
    public void Free_text_codes_map_to_kinds_and_barrier_codes_and_the_wording_is_kept()
    {
        Fact<DominoChangeObserved>("ESC-14").ShouldSatisfyAllConditions(
            d => d.Kind.ShouldBe("staff_role_change"),
            d => d.AlsoKinds.ShouldBe(["setting_shift"]),
            d => d.Target.ShouldBe("fitness instructors"),
            d => d.Extra!.Keys.ShouldBe(["fromSetting", "toSetting"], ignoreOrder: true));
        Fact<DominoChangeObserved>("FLO-14").Kind.ShouldBe("patient_role_change");
        Fact<DominoChangeObserved>("AF-9".Replace("9", "09", StringComparison.Ordinal)).ShouldSatisfyAllConditions(
            d => d.Kind.ShouldBe("diagnostic_shift"),
            d => d.AlsoKinds.ShouldBe(["treatment_shift"]),
            d => d.Extra!["kind"].GetString().ShouldBe("DIAGNOSTIC_SHIFT->TREATMENT_SHIFT"));

        new[] { "ESC-10", "FLO-17", "FLO-20", "EDC-02", "EDC-16", "SLP-13", "AF-17", "NEWS-14" }
            .Select(id => Fact<BarrierEncountered>(id).Code).ShouldBe(["R1", "R2", "L2", "C1", "F2", "D2", "R2", "D1"]);
        Fact<BarrierEncountered>("EDC-16").Extra!["category"].GetString().ShouldBe("F1 fidelity/messaging");
        Fact<BarrierEncountered>("NEWS-14").Extra!["theme"].GetString().ShouldBe("T3 fragmentation");
        Fact<BarrierResolved>("ESC-25").BarrierEventId.ShouldBe(Event("ESC-10").Id);
        Fact<EnablerObserved>("SLP-14").Theme.ShouldBe("T1");
        Fact<InnovationRegistered>("FLO-02").InnovationType.ShouldBe("digital");
        Fact<InnovationRegistered>("FLO-02").Extra!["innovationType"].GetString().ShouldBe("digital (SMS telehealth)");
        Fact<AdoptionDecided>("FLO-21").Outcome.ShouldBe(AdoptionOutcome.Decline);
    }

    [Fact]
    public void Site_names_become_organisations_and_a_go_live_without_a_decision_gets_an_inferred_one()
    {
        var powys = Demo.Organisations.Single(o => o.Name == "Powys Teaching Health Board");
        powys.Id.ShouldBe(DeterministicId.Organisation("Powys Teaching Health Board"));
        Fact<ServiceWentLive>("FLO-16").SiteId.ShouldBe(powys.Id);
        Fact<ServiceWentLive>("FLO-16").Extra!["adaptation"].GetString().ShouldBe("3 local diabetes protocols");
        Demo.Organisations.Single(o => o.Name == "NHS Stoke on Trent PCT").Kind.ShouldBe(AdoptionEvents.Organisations.OrganisationKind.Pct);
        Demo.Organisations.Single(o => o.Name == "West Midlands AHSN").Kind.ShouldBe(AdoptionEvents.Organisations.OrganisationKind.Hin);

        var flo = Demo.Journeys.Single(j => j.Key == "kings-fund/FLO").Events.ToList();
        var live = flo.FindIndex(e => e.Origin == "FLO-16");
        var decided = flo[live - 1].Fact.ShouldBeOfType<AdoptionDecided>();
        decided.ShouldSatisfyAllConditions(
            d => d.SiteId.ShouldBe(powys.Id),
            d => d.Outcome.ShouldBe(AdoptionOutcome.Adopt),
            d => d.Provenance.Basis.ShouldBe(Basis.Inferred),
            d => d.Summary!.ShouldContain("inferred by the import"));

        // Two sites in one go-live: one event per site, each after its own inferred decision.
        Demo.Journeys.Single(j => j.Key == "kings-fund/SSX").Events.Count(e => e.Fact is ServiceWentLive && e.Origin.StartsWith("SSX-09", StringComparison.Ordinal)).ShouldBe(3);

        // A discontinuation at a site never seen live needs both a decision and a go-live first.
        var esc = Demo.Journeys.Single(j => j.Key == "kings-fund/ESC").Events.ToList();
        var stop = esc.FindIndex(e => e.Origin == "ESC-24");
        esc[stop - 1].Fact.ShouldBeOfType<ServiceWentLive>().Provenance.Basis.ShouldBe(Basis.Inferred);
        esc[stop - 2].Fact.ShouldBeOfType<AdoptionDecided>();
    }

    [Fact]
    public void Journeys_that_do_not_open_with_a_need_or_registration_are_opened_by_an_inferred_registration()
    {
        var pin = Demo.Journeys.Single(j => j.Key == "kings-fund/PIN").Events;
        pin[0].Fact.ShouldBeOfType<InnovationRegistered>().Name.ShouldBe("PINCER prescribing-safety intervention - STAND-IN");
        pin[0].Fact.Provenance.Basis.ShouldBe(Basis.Inferred);

        var af = Demo.Journeys.Single(j => j.Key == "kings-fund/AF").Events;
        af[0].Fact.ShouldBeOfType<NeedIdentified>();
        af[1].Fact.ShouldBeOfType<InnovationRegistered>().Name.ShouldStartWith("Atrial fibrillation detection");
    }

    public static TheoryData<string, string, string> BadFiles => new()
    {
        { "{ \"innovations\": {", "line 1", "json" },
        { Mutate("ESC-01", e => e["type"] = "NeedInvented"), "ESC-01", "known-type" },
        { Mutate("ESC-03", e => e["causedBy"] = new JsonArray("ESC-99")), "ESC-03", "known-event" },
        { Mutate("ESC-03", e => e["causedBy"] = new JsonArray("ESC-04")), "ESC-03", "earlier-event" },
        { Mutate("ESC-02", e => e["id"] = "ESC-01"), "ESC-01", "unique-id" },
        { Mutate("ESC-01", e => e["sources"] = new JsonArray("NOWHERE")), "ESC-01", "known-source" },
        { Mutate("FLO-16", e => e["datePrecision"] = "fortnight"), "FLO-16", "vocabulary" },
        { Added("""{"id": "FLO-22", "innovation": "FLO", "seq": 22, "type": "AdoptionResumed", "occurredAt": "2019", "datePrecision": "year", "summary": "resumed", "provenance": "X", "sources": [], "causedBy": [], "fields": {"site": "Powys Teaching Health Board"}}"""), "FLO-22", "site-transition" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_bad_file_is_refused_with_a_report_that_names_where_and_which_rule(string content, string where, string rule)
    {
        var batch = ExportFormat.ReadAny(new MemoryStream(Encoding.UTF8.GetBytes(content)));
        var problems = ImportValidation.Check(batch, StoreKnowledge.Empty, Now, "test");

        problems.ShouldContain(p => p.Where.StartsWith(where, StringComparison.Ordinal) && p.Rule == rule, $"problems were: {string.Join("; ", problems)}");
    }

    [Fact]
    public void A_causal_cycle_is_refused()
    {
        var esc = Demo.Journeys.Single(j => j.Key == "kings-fund/ESC");
        var first = esc.Events[0];
        var last = esc.Events[^1];
        var cyclic = Demo with
        {
            Journeys = [esc with { Events = [first with { Fact = first.Fact with { CausedBy = [last.Id] } }, .. esc.Events.Skip(1).SkipLast(1), last with { Fact = last.Fact with { CausedBy = [first.Id] } }] }],
        };

        ImportValidation.Check(cyclic, StoreKnowledge.Empty, Now, "test").ShouldContain(p => p.Rule == "acyclic");
    }

    [Fact]
    public void An_export_line_naming_an_organisation_the_store_does_not_know_is_refused()
    {
        var site = Guid.NewGuid();
        var innovation = Guid.NewGuid();
        var lines = new StringBuilder()
            .AppendLine(JsonSerializer.Serialize(new { innovationId = innovation, eventId = Guid.NewGuid(), version = 1, type = "innovation_registered", data = new { name = "X", innovationType = "digital", occurredAt = new { value = "2020", precision = "year" }, provenance = new { basis = "stated" } } }))
            .AppendLine(JsonSerializer.Serialize(new { innovationId = innovation, eventId = Guid.NewGuid(), version = 2, type = "adoption_decided", data = new { siteId = site, outcome = "adopt", occurredAt = new { value = "2021", precision = "year" }, provenance = new { basis = "stated" } } }))
            .ToString();

        var batch = ExportFormat.ReadAny(new MemoryStream(Encoding.UTF8.GetBytes(lines)));
        batch.Problems.ShouldBeEmpty();
        var problems = ImportValidation.Check(batch, StoreKnowledge.Empty, Now, "test");

        problems.ShouldContain(p => p.Where.StartsWith("line 2", StringComparison.Ordinal) && p.Field == "siteId" && p.Rule == "known-organisation");
        ImportValidation.Check(batch, new StoreKnowledge(new Dictionary<Guid, AdoptionEvents.Journeys.Recording.KnownEvent>(), new HashSet<Guid> { site }), Now, "test").ShouldBeEmpty();
    }

    [Fact]
    public async Task The_export_format_reads_back_what_it_writes()
    {
        using var writer = new StringWriter();
        await ExportFormat.WriteAsync(writer, Demo, Now, "test", TestContext.Current.CancellationToken);
        var back = ExportFormat.ReadAny(new MemoryStream(Encoding.UTF8.GetBytes(writer.ToString())));

        back.Problems.ShouldBeEmpty();
        back.Journeys.Select(j => j.InnovationId).ShouldBe(Demo.Journeys.Select(j => j.InnovationId), ignoreOrder: true);
        back.Journeys.SelectMany(j => j.Events).Select(e => e.Id).ShouldBe(Demo.Journeys.SelectMany(j => j.Events).Select(e => e.Id), ignoreOrder: true);
        back.Organisations.Select(o => o.Id).ShouldBe(Demo.Organisations.Select(o => o.Id), ignoreOrder: true);
        ImportValidation.Check(back, StoreKnowledge.Empty, Now, "test").ShouldBeEmpty();
    }

    [Fact]
    public async Task The_export_reader_splits_and_numbers_lines_as_a_text_reader_does_whatever_the_line_ends()
    {
        using var writer = new StringWriter();
        await ExportFormat.WriteAsync(writer, Demo, Now, "test", TestContext.Current.CancellationToken);
        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var plain = ExportFormat.ReadAny(new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', lines))));

        // Every line end a text reader knows, a blank and a whitespace-only line, a line
        // that is not JSON (line 6), and invalid UTF-8 in a journey event's value (line 7; a text reader decodes it as U+FFFD).
        var journeyLine = Array.FindIndex(lines, l => l.Contains("\"innovationId\"", StringComparison.Ordinal));
        journeyLine.ShouldBeGreaterThan(2);
        var invalid = Encoding.UTF8.GetBytes(lines[journeyLine].Replace("\"recordedBy\":\"test\"", "\"recordedBy\":\"te#st\"", StringComparison.Ordinal));
        invalid[Array.IndexOf(invalid, (byte)'#')] = 0xFF;
        var rest = lines.Skip(3).Where((_, i) => i + 3 != journeyLine);
        var bytes = new List<byte>();
        bytes.AddRange(Encoding.UTF8.GetBytes(lines[0] + "\r\n" + lines[1] + "\r\r\n \t\u00a0\r\n" + lines[2] + "\rnot json\n"));
        bytes.AddRange(invalid);
        bytes.AddRange(Encoding.UTF8.GetBytes("\n" + string.Join("\r\n", rest) + "\r\n"));

        var read = ExportFormat.ReadAny(new MemoryStream([.. bytes]));

        read.Problems.Select(p => (p.Where, p.Rule)).ShouldBe([("line 6", "json")]);
        read.Journeys.Select(j => j.InnovationId).ShouldBe(plain.Journeys.Select(j => j.InnovationId));
        read.Journeys.SelectMany(j => j.Events).Select(e => e.Id).ShouldBe(plain.Journeys.SelectMany(j => j.Events).Select(e => e.Id));
        read.Journeys.SelectMany(j => j.Events).Select(e => JsonSerializer.Serialize(e.Fact, e.Fact.GetType()))
            .ShouldBe(plain.Journeys.SelectMany(j => j.Events).Select(e => JsonSerializer.Serialize(e.Fact, e.Fact.GetType())));
        read.Organisations.Select(o => o.Id).ShouldBe(plain.Organisations.Select(o => o.Id));
        read.Journeys.SelectMany(j => j.Events).Select(e => e.RecordedBy).ShouldContain("te\uFFFDst");
    }

    [Fact]
    public async Task Export_lines_read_in_one_pass_or_as_documents_give_the_same_events_and_problems()
    {
        using var writer = new StringWriter();
        await ExportFormat.WriteAsync(writer, Demo, Now, "test", TestContext.Current.CancellationToken);
        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var plain = ExportFormat.ReadAny(new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', lines))));
        var at = Array.FindIndex(lines, l => l.Contains("\"innovationId\"", StringComparison.Ordinal));
        var original = lines[at];

        // An escaped member name and a member named twice (the last counts) read as before; a non-object
        // data named last, and text after the object, are problems of that line.
        string[] variants =
        [
            original.Replace("\"type\":", "\"\\u0074ype\":", StringComparison.Ordinal),
            original.Replace("\"version\":", "\"version\":999,\"version\":", StringComparison.Ordinal),
            original[..^1] + ",\"data\":[]}",
            original + " {}",
        ];
        var read = variants.Select(v => ExportFormat.ReadAny(new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', lines.Select((l, i) => i == at ? v : l)))))).ToList();

        foreach (var accepted in read.Take(2))
        {
            accepted.Problems.ShouldBeEmpty();
            accepted.Journeys.SelectMany(j => j.Events).Select(e => (e.Id, e.Origin, JsonSerializer.Serialize(e.Fact, e.Fact.GetType())))
                .ShouldBe(plain.Journeys.SelectMany(j => j.Events).Select(e => (e.Id, e.Origin, JsonSerializer.Serialize(e.Fact, e.Fact.GetType()))));
        }

        read[2].Problems[0].ShouldSatisfyAllConditions(p => p.Where.ShouldBe($"line {at + 1}"), p => p.Field.ShouldBe("data"), p => p.Rule.ShouldBe("required"));
        read[3].Problems[0].ShouldSatisfyAllConditions(p => p.Where.ShouldBe($"line {at + 1}"), p => p.Rule.ShouldBe("json"));
    }

    private static string Mutate(string id, Action<JsonObject> change)
    {
        var root = JsonNode.Parse(DemoData.Bytes())!;
        change(root["events"]!.AsArray().Single(e => e!["id"]!.GetValue<string>() == id)!.AsObject());
        return root.ToJsonString();
    }

    private static string Added(string json)
    {
        var root = JsonNode.Parse(DemoData.Bytes())!;
        root["events"]!.AsArray().Add(JsonNode.Parse(json));
        return root.ToJsonString();
    }
}
