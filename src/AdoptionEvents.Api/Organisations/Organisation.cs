namespace AdoptionEvents.Organisations;

public enum OrganisationKind
{
    Trust,
    Icb,
    Ccg,
    Pct,
    Pcn,
    GpPractice,
    CommunityProvider,
    Hin,
    NhsRegion,
    LocalAuthority,
    Other,
}

public sealed record OrganisationRegistered(Guid OrganisationId, string Name, OrganisationKind Kind, string? Code, DateOnly? Established);

public sealed record OrganisationRenamed(Guid OrganisationId, string Name, DateOnly Effective);

/// <summary>The organisation joined a region, network or system (an ICB, a HIN, an NHS region, a PCN).</summary>
public sealed record MembershipStarted(Guid OrganisationId, Guid ParentId, DateOnly Effective);

public sealed record MembershipEnded(Guid OrganisationId, Guid ParentId, DateOnly Effective);

/// <summary>Replaced by a successor (PCT to CCG in 2013, CCG to ICB in July 2022, AHSN to HIN in 2023).</summary>
public sealed record OrganisationSucceeded(Guid OrganisationId, Guid SuccessorId, DateOnly Effective);

public sealed record FormerName(string Name, DateOnly Until);

public sealed record Membership(Guid ParentId, DateOnly From, DateOnly? To);

/// <summary>An organisation as reference data, with its history of names, memberships and succession.</summary>
public sealed record Organisation
{
    public Guid Id { get; init; }

    public required string Name { get; init; }

    public OrganisationKind Kind { get; init; }

    /// <summary>ODS code or similar, when known.</summary>
    public string? Code { get; init; }

    public DateOnly? Established { get; init; }

    public IReadOnlyList<FormerName> FormerNames { get; init; } = [];

    public IReadOnlyList<Membership> Memberships { get; init; } = [];

    public Guid? SuccessorId { get; init; }

    public DateOnly? SucceededOn { get; init; }

    public int Version { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public IEnumerable<Guid> CurrentParents => Memberships.Where(m => m.To is null).Select(m => m.ParentId);

    public static Organisation Create(OrganisationRegistered e) =>
        new() { Id = e.OrganisationId, Name = e.Name, Kind = e.Kind, Code = e.Code, Established = e.Established };

    public Organisation Apply(OrganisationRenamed e) =>
        this with { Name = e.Name, FormerNames = [.. FormerNames, new FormerName(Name, e.Effective)] };

    public Organisation Apply(MembershipStarted e) =>
        this with { Memberships = [.. Memberships, new Membership(e.ParentId, e.Effective, null)] };

    public Organisation Apply(MembershipEnded e) =>
        this with { Memberships = [.. Memberships.Select(m => m.ParentId == e.ParentId && m.To is null ? m with { To = e.Effective } : m)] };

    public Organisation Apply(OrganisationSucceeded e) => this with { SuccessorId = e.SuccessorId, SucceededOn = e.Effective };
}
