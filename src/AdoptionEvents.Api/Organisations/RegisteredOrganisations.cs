using System.Collections.Concurrent;
using Marten;

namespace AdoptionEvents.Organisations;

/// <summary>
/// Which of some organisation ids are registered, remembering every one found. An organisation is never
/// deleted (it is renamed or succeeded), so a remembered answer cannot go stale; an id not yet seen is
/// asked of the store each time. Saves a query on nearly every site command.
/// </summary>
public sealed class RegisteredOrganisations
{
    // Tens of thousands of NHS organisations at most: a few megabytes at worst.
    private readonly ConcurrentDictionary<Guid, bool> _registered = new();

    public async Task<IReadOnlySet<Guid>> AmongAsync(IQuerySession session, IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        var unseen = ids.Where(id => !_registered.ContainsKey(id)).ToArray();
        if (unseen.Length > 0)
        {
            foreach (var organisation in await session.LoadManyAsync<Organisation>(ct, unseen))
            {
                _registered.TryAdd(organisation.Id, true);
            }
        }

        return ids.Where(_registered.ContainsKey).ToHashSet();
    }
}
