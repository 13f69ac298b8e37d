using System.Security.Cryptography;
using System.Text;
using AdoptionEvents.Journeys;
using AdoptionEvents.Organisations;

namespace AdoptionEvents.Importing;

/// <summary>One event to import: its deterministic id, the fact, and where it came from in the file.</summary>
public sealed record ImportedEvent(Guid Id, JourneyEvent Fact, string Origin)
{
    /// <summary>When and by whom the source recorded it (export format only); kept as event headers.</summary>
    public DateTimeOffset? RecordedAt { get; init; }

    public string? RecordedBy { get; init; }
}

/// <summary>A journey of the file, in stream order.</summary>
public sealed record ImportedJourney(Guid InnovationId, string Key, string Name, IReadOnlyList<ImportedEvent> Events);

/// <summary>An organisation the file names; registered by the import when the store does not know it.</summary>
public sealed record ImportedOrganisation(Guid Id, string Name, OrganisationKind Kind, string Origin)
{
    public string? Code { get; init; }

    public IReadOnlyList<Guid> MemberOf { get; init; } = [];

    public DateOnly? MemberSince { get; init; }

    /// <summary>The organisation's events as another store recorded them (export format); null: built from the fields above.</summary>
    public IReadOnlyList<object>? Recorded { get; init; }

    /// <summary>The events that register it.</summary>
    public IEnumerable<object> History() => Recorded ??
    [
        new OrganisationRegistered(Id, Name, Kind, Code, null),
        .. MemberOf.Select(parent => new MembershipStarted(Id, parent, MemberSince ?? new DateOnly(2022, 7, 1))),
    ];

    /// <summary>Organisations it names as parents or successors.</summary>
    public IEnumerable<Guid> References() => History().SelectMany(e => e switch
    {
        MembershipStarted m => [m.ParentId],
        MembershipEnded m => [m.ParentId],
        OrganisationSucceeded s => [s.SuccessorId],
        _ => Array.Empty<Guid>(),
    });
}

/// <summary>A reason the file cannot be imported: where (line or event id), the field, the rule, a sentence.</summary>
public sealed record ImportProblem(string Where, string Field, string Rule, string Detail)
{
    public override string ToString() => $"{Where}: {Field}: {Detail} [{Rule}]";
}

/// <summary>What a file holds once read and mapped: organisations, journeys, and the problems found reading it.</summary>
public sealed record ImportBatch(
    string Format,
    IReadOnlyList<ImportedOrganisation> Organisations,
    IReadOnlyList<ImportedJourney> Journeys,
    IReadOnlyList<ImportProblem> Problems)
{
    public int EventCount => Journeys.Sum(j => j.Events.Count);

    /// <summary>The file's own names for event ids it mentions (e.g. "ESC-02"), so reports speak the file's language.</summary>
    public IReadOnlyDictionary<Guid, string> Names { get; init; } = new Dictionary<Guid, string>();

    public string NameOf(Guid id) => Names.TryGetValue(id, out var name) ? $"{name} ({id})" : id.ToString();

    public static ImportBatch Refused(string format, params ImportProblem[] problems) => new(format, [], [], problems);
}

/// <summary>Name-based UUIDs (RFC 9562 version 5): the same name gives the same id, so a re-import adds nothing.</summary>
public static class DeterministicId
{
    // The product's own namespace for imported names.
    private static readonly Guid Namespace = Guid.Parse("6f1b6f0e-3c5a-4d0e-9a53-0a1d0e7e5f07");

    public static Guid For(string name)
    {
        var bytes = new byte[16 + Encoding.UTF8.GetByteCount(name)];
        Namespace.TryWriteBytes(bytes, bigEndian: true, out _);
        Encoding.UTF8.GetBytes(name, bytes.AsSpan(16));
#pragma warning disable CA5350 // RFC 9562 version 5 is defined over SHA-1; it names, it does not protect.
        var hash = SHA1.HashData(bytes);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    /// <summary>An organisation's id from its name, whatever data set names it.</summary>
    public static Guid Organisation(string name) => For("organisation/" + name.Trim().ToUpperInvariant());
}
