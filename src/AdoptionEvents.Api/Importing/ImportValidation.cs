using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Domino;
using AdoptionEvents.Journeys.Recording;

namespace AdoptionEvents.Importing;

/// <summary>What the store already holds that a file may name: events (by id) and organisations.</summary>
public sealed record StoreKnowledge(IReadOnlyDictionary<Guid, KnownEvent> Events, IReadOnlySet<Guid> Organisations)
{
    public static readonly StoreKnowledge Empty = new(new Dictionary<Guid, KnownEvent>(), new HashSet<Guid>());
}

/// <summary>
/// Checks a whole file before anything is written: unique ids, references that resolve (in the file
/// or in the store), causedBy links that point to earlier events and close no cycle, and every journey
/// folded through <see cref="JourneyDecider"/> exactly as the API would decide each fact (site
/// transitions, vocabularies, dates, open barriers ...). Pure: the shell loads <see cref="StoreKnowledge"/>.
/// </summary>
public static class ImportValidation
{
    public static IReadOnlyList<ImportProblem> Check(ImportBatch batch, StoreKnowledge store, DateTimeOffset now, string user) => Check(batch, store, now, user, out _);

    /// <summary>
    /// As <see cref="Check(ImportBatch, StoreKnowledge, DateTimeOffset, string)"/>, with the batch as decided: what the import stores. It differs
    /// from the file only where the decision adds to a fact (a retraction says which change of site state it takes back).
    /// </summary>
    public static IReadOnlyList<ImportProblem> Check(ImportBatch batch, StoreKnowledge store, DateTimeOffset now, string user, out ImportBatch decided)
    {
        decided = batch;
        var problems = new List<ImportProblem>(batch.Problems);
        var events = new Dictionary<Guid, KnownEvent>(store.Events);
        var where = new Dictionary<Guid, string>();
        foreach (var journey in batch.Journeys)
        {
            foreach (var e in journey.Events)
            {
                if (!where.TryAdd(e.Id, e.Origin))
                {
                    problems.Add(new ImportProblem(e.Origin, "eventId", "unique-id", $"event id {e.Id} is also used by {where[e.Id]}"));
                    continue;
                }

                events[e.Id] = KnownEvent.Of(e.Id, journey.InnovationId, e.Fact);
            }
        }

        var organisations = new HashSet<Guid>(store.Organisations);
        organisations.UnionWith(batch.Organisations.Select(o => o.Id));
        foreach (var o in batch.Organisations)
        {
            foreach (var parent in o.References().Where(p => !organisations.Contains(p)))
            {
                problems.Add(new ImportProblem(o.Origin, "parentId", "known-organisation", $"organisation {parent} is neither in the file nor in the store"));
            }
        }

        foreach (var dup in batch.Journeys.GroupBy(j => j.InnovationId).Where(g => g.Count() > 1))
        {
            problems.Add(new ImportProblem(dup.First().Key, "innovationId", "unique-journey", $"journey {dup.Key} appears {dup.Count()} times"));
        }

        foreach (var e in batch.Journeys.SelectMany(j => j.Events))
        {
            foreach (var id in e.Fact.ReferencedEvents().Distinct().Where(id => !events.ContainsKey(id)))
            {
                problems.Add(new ImportProblem(e.Origin, e.Fact.CausedBy.Contains(id) ? "causedBy" : "reference", "known-event", $"event {batch.NameOf(id)} is neither in the file nor in the store"));
            }

            foreach (var (field, id) in e.Fact.ReferencedOrganisations().Where(o => !organisations.Contains(o.Id)))
            {
                problems.Add(new ImportProblem(e.Origin, field, "known-organisation", $"organisation {id} is neither in the file nor in the store"));
            }
        }

        var graph = Graph(batch);
        problems.AddRange(Order(batch));
        problems.AddRange(Cycles(batch, graph));
        if (problems.Count > 0)
        {
            // Folding journeys with broken references would only repeat the same problems.
            return problems;
        }

        // Each journey folds on its own (the lookups are only read from here on), so on every core; problems keep the file's order.
        var refusals = new IReadOnlyList<ImportProblem>[batch.Journeys.Count];
        var journeys = batch.Journeys.ToArray();
        Parallel.For(0, journeys.Length, i => (refusals[i], journeys[i]) = Fold(batch, journeys[i], events, organisations, graph, now, user));
        foreach (var found in refusals)
        {
            problems.AddRange(found);
        }

        decided = batch with { Journeys = journeys };
        return problems;
    }

    /// <summary>The journey decided fact by fact as the API would: the refusals of the first fact refused, and the journey as decided.</summary>
    private static (IReadOnlyList<ImportProblem> Refusals, ImportedJourney Decided) Fold(ImportBatch batch, ImportedJourney journey, IReadOnlyDictionary<Guid, KnownEvent> events,
        IReadOnlySet<Guid> organisations, Dictionary<Guid, List<Guid>> graph, DateTimeOffset now, string user)
    {
        Journey? state = null;
        List<ImportedEvent>? decided = null;
        Dictionary<Guid, JourneyEvent>? amended = null;
        for (var i = 0; i < journey.Events.Count; i++)
        {
            var e = journey.Events[i];
            var ancestors = e.Fact is CausalLinkAsserted link ? Ancestors(graph, link.CauseEventId) : [];
            var context = new DecisionContext(events, organisations, ancestors) { Amended = amended };
            var decision = state is null
                ? JourneyDecider.Start(e.Fact, context, now, user)
                : JourneyDecider.Decide(state, e.Fact, context, now, user);
            if (decision.Refused)
            {
                return ([.. decision.Refusals.Select(r => new ImportProblem(e.Origin, r.Field, r.Rule, Named(batch, r.Detail)))], journey);
            }

            var fact = decision.Events[0];
            if (!ReferenceEquals(fact, e.Fact))
            {
                decided ??= [.. journey.Events];
                decided[i] = e with { Fact = fact };
            }

            state = Journey.After(state, e.Id, fact);
            CorrectedFact.Remember(ref amended, context, fact);
        }

        return ([], decided is null ? journey : journey with { Events = decided });
    }

    private static string Named(ImportBatch batch, string detail) =>
        batch.Names.Count == 0 ? detail : batch.Names.Aggregate(detail, (text, n) => text.Contains(n.Key.ToString(), StringComparison.Ordinal) ? text.Replace(n.Key.ToString(), $"{n.Value} ({n.Key})", StringComparison.Ordinal) : text);

    /// <summary>A causedBy to an event of the same journey must point to an earlier one.</summary>
    private static IEnumerable<ImportProblem> Order(ImportBatch batch)
    {
        foreach (var journey in batch.Journeys)
        {
            var position = new Dictionary<Guid, int>();
            for (var i = 0; i < journey.Events.Count; i++)
            {
                position.TryAdd(journey.Events[i].Id, i);
            }

            for (var i = 0; i < journey.Events.Count; i++)
            {
                var e = journey.Events[i];
                foreach (var cause in e.Fact.CausedBy.Where(c => position.TryGetValue(c, out var p) && p >= i))
                {
                    yield return new ImportProblem(e.Origin, "causedBy", "earlier-event", $"causedBy names {journey.Events[position[cause]].Origin}, which is not earlier in the journey");
                }
            }
        }
    }

    private static IEnumerable<ImportProblem> Cycles(ImportBatch batch, Dictionary<Guid, List<Guid>> graph)
    {
        // Only a cycle needs the lines' names: a file without one does not pay for the lookup.
        Dictionary<Guid, string>? originOf = null;
        string Origin(Guid id) => (originOf ??= batch.Journeys.SelectMany(j => j.Events).GroupBy(e => e.Id).ToDictionary(g => g.Key, g => g.First().Origin))[id];
        var state = new Dictionary<Guid, int>(); // 1 visiting, 2 done
        var reported = new HashSet<Guid>();
        foreach (var start in graph.Keys)
        {
            if (state.ContainsKey(start))
            {
                continue;
            }

            var stack = new Stack<(Guid Node, IEnumerator<Guid> Causes)>();
            state[start] = 1;
            stack.Push((start, graph[start].GetEnumerator()));
            while (stack.Count > 0)
            {
                var (node, causes) = stack.Peek();
                if (!causes.MoveNext())
                {
                    state[node] = 2;
                    stack.Pop();
                    continue;
                }

                var cause = causes.Current;
                if (!graph.ContainsKey(cause))
                {
                    continue;
                }

                if (!state.TryGetValue(cause, out var s))
                {
                    state[cause] = 1;
                    stack.Push((cause, graph[cause].GetEnumerator()));
                }
                else if (s == 1 && reported.Add(cause))
                {
                    yield return new ImportProblem(Origin(node), "causedBy", "acyclic", $"causedBy of {Origin(node)} leads back to itself through {Origin(cause)}: the causal log must stay acyclic");
                }
            }
        }
    }

    /// <summary>Each event of the file to the events it follows from (causedBy, and causal links asserted in the file).</summary>
    private static Dictionary<Guid, List<Guid>> Graph(ImportBatch batch)
    {
        var graph = new Dictionary<Guid, List<Guid>>();
        foreach (var e in batch.Journeys.SelectMany(j => j.Events))
        {
            graph.TryAdd(e.Id, [.. e.Fact.CausedBy]);
        }

        foreach (var link in batch.Journeys.SelectMany(j => j.Events).Select(e => e.Fact).OfType<CausalLinkAsserted>())
        {
            if (graph.TryGetValue(link.EffectEventId, out var causes))
            {
                causes.Add(link.CauseEventId);
            }
        }

        return graph;
    }

    private static HashSet<Guid> Ancestors(Dictionary<Guid, List<Guid>> graph, Guid start)
    {
        var seen = new HashSet<Guid>();
        var frontier = new Stack<Guid>([start]);
        while (frontier.Count > 0)
        {
            foreach (var cause in graph.GetValueOrDefault(frontier.Pop()) ?? [])
            {
                if (seen.Add(cause))
                {
                    frontier.Push(cause);
                }
            }
        }

        return seen;
    }
}
