using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Recording;
using AdoptionEvents.ReadModels.ChangeLog;

namespace AdoptionEvents.UnitTests.ReadModels;

public class ChangeLogGraphTests
{
    private static readonly Guid Innovation = Guid.CreateVersion7();

    private static PartialDate Y(string v) => new() { Value = v, Precision = v.Length == 4 ? DatePrecision.Year : DatePrecision.Day };

    private static IndexedEvent Node(string type, string date, string? kind = null, params Guid[] causes) =>
        new() { Id = Guid.CreateVersion7(), InnovationId = Innovation, Type = type, Kind = kind, OccurredAt = Y(date), CausedBy = causes };

    [Fact]
    public void Depth_chain_and_lag_follow_the_longest_path_from_the_root_cause()
    {
        var live = Node("service_went_live", "2014-01-01");
        var role = Node("domino_change_observed", "2015-01-01", "staff_role_change", live.Id);
        var need = Node("new_need_revealed", "2016-07-01", "new_need_revealed", role.Id, live.Id);

        var log = ChangeLogGraph.Build([live, role, need], [], asOf: null);

        var byId = log.Nodes.ToDictionary(n => n.Id);
        (byId[live.Id].Depth, byId[role.Id].Depth, byId[need.Id].Depth).ShouldBe((0, 1, 2));
        log.Nodes.ShouldAllBe(n => n.Root == live.Id);
        byId[need.Id].PrimaryCause.ShouldBe(role.Id);
        byId[need.Id].LagFromCause.ShouldBe(new Lag(547, 547, 547));
        log.Edges.Count.ShouldBe(3);
    }

    [Fact]
    public void Lag_between_imprecise_dates_is_an_interval()
    {
        ChangeLogGraph.LagBetween(Y("2014"), Y("2015")).ShouldBe(new Lag(1, 729, 365));
    }

    [Fact]
    public void Asserted_links_join_the_graph_until_withdrawn_and_as_of_hides_what_had_not_happened()
    {
        var a = Node("role_changed", "2015-01-01", "staff_role_change");
        var b = Node("pathway_changed", "2016-01-01", "pathway_redesign");
        var c = Node("domino_change_observed", "2019-01-01", "capacity_shift", b.Id);
        var link = new CausalEdge { Id = Guid.CreateVersion7(), Cause = a.Id, Effect = b.Id, AssertedAt = Y("2017-01-01"), WithdrawnAt = Y("2018-01-01") };

        var during = ChangeLogGraph.Build([a, b, c], [link], new DateOnly(2017, 6, 1));
        during.Nodes.Select(n => n.Id).ShouldBe([a.Id, b.Id]);
        during.Edges.ShouldBe([new ChangeEdge(a.Id, b.Id, "asserted_link")]);

        var now = ChangeLogGraph.Build([a, b, c], [link], null);
        now.Edges.ShouldBe([new ChangeEdge(b.Id, c.Id, "caused_by")]);
        now.Nodes.Single(n => n.Id == b.Id).Depth.ShouldBe(0);

        ChangeLogGraph.Build([a, b, c], [link], null, kind: "capacity_shift").Nodes.Select(n => n.Id).ShouldBe([c.Id]);
    }
}
