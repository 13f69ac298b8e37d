using Marten;

namespace AdoptionEvents.Organisations;

/// <summary>Walks current memberships: what lies under a region, HIN or ICB, and what an organisation belongs to.</summary>
public static class OrganisationTree
{
    /// <summary>The organisation and every organisation that is (transitively) a current member of it.</summary>
    public static async Task<HashSet<Guid>> WithMembersAsync(IQuerySession session, Guid root, CancellationToken ct)
    {
        var found = new HashSet<Guid> { root };
        var frontier = new List<Guid> { root };
        while (frontier.Count > 0)
        {
            var next = new List<Guid>();
            foreach (var parent in frontier)
            {
                var members = await session.Query<Organisation>()
                    .Where(o => o.Memberships.Any(m => m.ParentId == parent && m.To == null))
                    .Select(o => o.Id)
                    .ToListAsync(ct);
                next.AddRange(members.Where(found.Add));
            }

            frontier = next;
        }

        return found;
    }

    /// <summary>Every organisation the given ones belong to, transitively, with the given ones themselves.</summary>
    public static async Task<Dictionary<Guid, Organisation>> WithParentsAsync(IQuerySession session, IEnumerable<Guid> ids, CancellationToken ct)
    {
        var found = new Dictionary<Guid, Organisation>();
        var frontier = ids.Distinct().ToList();
        while (frontier.Count > 0)
        {
            var loaded = await session.LoadManyAsync<Organisation>(ct, frontier);
            foreach (var o in loaded)
            {
                found[o.Id] = o;
            }

            frontier = [.. loaded.SelectMany(o => o.CurrentParents).Distinct().Where(id => !found.ContainsKey(id))];
        }

        return found;
    }
}
