using System.Data.Common;
using AdoptionEvents.Hosting;
using AdoptionEvents.Journeys;
using JasperFx.Events;
using Marten;
using Npgsql;
using NpgsqlTypes;

namespace AdoptionEvents.Evaluation;

/// <summary>
/// The events of a journey for folding (as-of, replay, measures), kept in memory between requests.
/// A committed event never changes and a stream only grows, so each request asks the database one
/// round trip: the stream's version, and the events appended since the copy was taken (usually none).
/// A long journey is therefore read from PostgreSQL once, not on every request, which is where the
/// time of an as-of view of a long journey went. The copy is checked against the stream's creation
/// time, compaction and version, so a stream deleted and started again, or compacted, is read afresh.
/// <para>
/// Events are read with the columns folding uses (id, version, sequence, recorded time, type, user,
/// data) and deserialised by the store's serializer into the catalogue's types, as
/// <c>FetchStreamAsync</c> does; they carry no headers, correlation or causation ids, and share what many of
/// them hold alike (see <see cref="Shared"/>). At most
/// <c>Evaluation:CachedEvents</c> events are kept, least recently used journeys dropped first; 0 keeps none.
/// </para>
/// <para>
/// A kept journey also keeps its <see cref="JourneyCheckpoint"/> (its latest fold and folds of prefixes of
/// it for cuts inside it), handed on while the stream only grows and dropped with the copy.
/// </para>
/// </summary>
public sealed class JourneyEvents(int capacity)
{
    public const int DefaultCapacity = 200_000;

    private sealed record Copy(DateTimeOffset Created, long Compacted, long Version, IEvent[] Events, JourneyCheckpoint Checkpoint, Shared Shared)
    {
        public long LastUsed { get; set; }
    }

    private readonly Dictionary<Guid, Copy> _copies = [];
    private readonly Lock _lock = new();
    private long _clock;
    private long _held;

    /// <summary>Events currently kept, over every journey.</summary>
    public long EventsHeld
    {
        get
        {
            lock (_lock)
            {
                return _held;
            }
        }
    }

    /// <summary>The journey's events in stream order; empty when there is no such stream.</summary>
    public async Task<IReadOnlyList<IEvent>> ReadAsync(IQuerySession session, Guid streamId, CancellationToken ct) =>
        (await ReadKeptAsync(session, streamId, ct)).Events;

    /// <summary>The journey's events in stream order with the checkpoint kept for them (a new, empty one when they are not kept).</summary>
    public async Task<KeptJourney> ReadKeptAsync(IQuerySession session, Guid streamId, CancellationToken ct)
    {
        Copy? copy;
        lock (_lock)
        {
            copy = _copies.GetValueOrDefault(streamId);
        }

        var schema = session.DocumentStore.Options.Events.DatabaseSchemaName;
        await using var command = new NpgsqlCommand(
            $"select version, created, is_archived, compacted_version from {schema}.mt_streams where id = @id;" +
            $"select seq_id, id, version, timestamp, type, user_name, data from {schema}.mt_events where stream_id = @id and version > @after order by version")
        {
            Parameters =
            {
                new NpgsqlParameter("id", NpgsqlDbType.Uuid) { Value = streamId },
                new NpgsqlParameter("after", NpgsqlDbType.Bigint) { Value = copy?.Version ?? 0L },
            },
        };

        long version;
        DateTimeOffset created;
        long compacted;
        var appended = new List<IEvent>();
        // Events appended to a kept copy share with it.
        var shared = copy?.Shared ?? new Shared();
        await using (var reader = await session.ExecuteReaderAsync(command, ct))
        {
            if (!await reader.ReadAsync(ct))
            {
                Forget(streamId);
                return new KeptJourney([], new JourneyCheckpoint());
            }

            version = reader.IsDBNull(0) ? 0 : reader.GetInt64(0);
            created = reader.GetFieldValue<DateTimeOffset>(1);
            compacted = reader.IsDBNull(3) ? 0 : reader.GetInt64(3);
            if (!reader.IsDBNull(2) && reader.GetBoolean(2))
            {
                // An archived stream is rare and read as Marten reads it, never kept.
                Forget(streamId);
                await reader.DisposeAsync();
                return new KeptJourney(await session.Events.FetchStreamAsync(streamId, token: ct), new JourneyCheckpoint());
            }

            await reader.NextResultAsync(ct);
            var serializer = session.DocumentStore.Options.Serializer();
            while (await reader.ReadAsync(ct))
            {
                if (Read(reader, serializer, streamId, shared) is not { } e)
                {
                    // A type outside the catalogue: let Marten read the stream.
                    Forget(streamId);
                    await reader.DisposeAsync();
                    return new KeptJourney(await session.Events.FetchStreamAsync(streamId, token: ct), new JourneyCheckpoint());
                }

                appended.Add(e);
            }
        }

        IEvent[] events;
        JourneyCheckpoint checkpoint;
        if (copy is not null && copy.Created == created && copy.Compacted == compacted && copy.Version <= version && Follows(copy, appended))
        {
            // The copy's events are the start of the new list, as the same instances, so its checkpoint still holds.
            events = appended.Count == 0 ? copy.Events : [.. copy.Events, .. appended];
            checkpoint = copy.Checkpoint;
        }
        else if (copy is null)
        {
            events = [.. appended];
            checkpoint = new JourneyCheckpoint();
        }
        else
        {
            // The stream is not the one the copy was taken from: read it whole.
            Forget(streamId);
            return await ReadKeptAsync(session, streamId, ct);
        }

        Keep(streamId, new Copy(created, compacted, events.Length == 0 ? 0 : events[^1].Version, events, checkpoint, shared));
        return new KeptJourney(events, checkpoint);
    }

    private static bool Follows(Copy copy, List<IEvent> appended)
    {
        var expected = copy.Version + 1;
        foreach (var e in appended)
        {
            if (e.Version != expected++)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// One event as folding needs it, sharing what many events of a journey hold alike (<see cref="Shared"/>).
    /// </summary>
    private static IEvent? Read(DbDataReader reader, ISerializer serializer, Guid streamId, Shared shared)
    {
        if (EventCatalogue.Find(reader.GetString(4)) is not { } entry)
        {
            return null;
        }

        var e = EventWrapper.Of(shared.Fact((JourneyEvent)serializer.FromJson(entry.Type, reader, 6)));
        e.Sequence = reader.GetInt64(0);
        e.Id = reader.GetGuid(1);
        e.Version = reader.GetInt64(2);
        e.Timestamp = reader.GetFieldValue<DateTimeOffset>(3);
        e.EventTypeName = entry.Name;
        e.UserName = reader.IsDBNull(5) ? null : shared.User(reader.GetString(5));
        e.StreamId = streamId;
        return e;
    }

    private void Keep(Guid streamId, Copy copy)
    {
        lock (_lock)
        {
            copy.LastUsed = ++_clock;
            if (_copies.Remove(streamId, out var old))
            {
                _held -= old.Events.Length;
            }

            if (copy.Events.Length > capacity)
            {
                return;
            }

            _copies[streamId] = copy;
            _held += copy.Events.Length;
            while (_held > capacity)
            {
                var (id, oldest) = _copies.MinBy(c => c.Value.LastUsed);
                _copies.Remove(id);
                _held -= oldest.Events.Length;
            }
        }
    }

    private void Forget(Guid streamId)
    {
        lock (_lock)
        {
            if (_copies.Remove(streamId, out var old))
            {
                _held -= old.Events.Length;
            }
        }
    }

    /// <summary>
    /// One instance of what many events of a journey hold alike: the catalogue's type names, each user, each date,
    /// each provenance without sources, an empty list of causes. A kept event then holds up to seven objects fewer
    /// (about 300 bytes by the types' sizes: some 15 MB for the 50,000-event journey), and a collection that promotes a kept journey (the
    /// slowest as-of requests) has that much less to copy. All of them are immutable, so sharing changes nothing a
    /// fold, an export or a seal reads.
    /// </summary>
    private sealed class Shared
    {
        // Two requests may read what was appended to the same kept journey at once.
        private readonly Lock _lock = new();
        private readonly Dictionary<string, string> _users = new(StringComparer.Ordinal);
        private readonly Dictionary<PartialDate, PartialDate> _dates = [];
        private readonly Dictionary<(Basis, double?), Provenance> _provenances = [];

        public string User(string user)
        {
            lock (_lock)
            {
                return _users.TryGetValue(user, out var known) ? known : _users[user] = user;
            }
        }

        public JourneyEvent Fact(JourneyEvent fact)
        {
            lock (_lock)
            {
                return Compact(fact);
            }
        }

        private JourneyEvent Compact(JourneyEvent fact)
        {
            var date = _dates.TryGetValue(fact.OccurredAt, out var knownDate) ? knownDate : _dates[fact.OccurredAt] = fact.OccurredAt;
            var provenance = fact.Provenance is { Sources.Count: 0 } bare
                ? _provenances.TryGetValue((bare.Basis, bare.Confidence), out var knownProvenance) ? knownProvenance : _provenances[(bare.Basis, bare.Confidence)] = bare
                : fact.Provenance;
            IReadOnlyList<Guid> causedBy = fact.CausedBy.Count == 0 ? [] : fact.CausedBy;
            return ReferenceEquals(date, fact.OccurredAt) && ReferenceEquals(provenance, fact.Provenance) && ReferenceEquals(causedBy, fact.CausedBy)
                ? fact
                : fact with { OccurredAt = date, Provenance = provenance, CausedBy = causedBy };
        }
    }
}
