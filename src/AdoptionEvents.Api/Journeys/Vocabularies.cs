using Wolverine.Http;

namespace AdoptionEvents.Journeys;

public sealed record EventType(string Type, string Family, string Meaning);

public sealed record Vocabularies(
    IReadOnlyList<EventType> EventTypes,
    IReadOnlyList<Term> Themes,
    IReadOnlyList<BarrierCode> BarrierCodes,
    IReadOnlyList<Term> NasssDomains,
    IReadOnlyList<Term> DominoKinds,
    IReadOnlyList<Term> Metrics,
    IReadOnlyList<Term> EvidenceTypes,
    IReadOnlyList<Term> Levers,
    IReadOnlyList<Term> FundingPurposes,
    IReadOnlyList<Term> InnovationTypes,
    IReadOnlyList<Term> Currencies);

public static class VocabulariesEndpoint
{
    /// <summary>Every code list a fact may use, and every event type with its family.</summary>
    [WolverineGet("/api/vocabularies")]
    public static Vocabularies Get() => new(
        [.. EventCatalogue.Entries.Select(e => new EventType(e.Name, e.Family, e.Meaning))],
        Vocabulary.Themes, Vocabulary.BarrierCodes, Vocabulary.NasssDomains, Vocabulary.DominoKinds, Vocabulary.Metrics,
        Vocabulary.EvidenceTypes, Vocabulary.Levers, Vocabulary.FundingPurposes, Vocabulary.InnovationTypes, Vocabulary.CurrencyCodes);
}
