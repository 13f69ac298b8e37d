namespace AdoptionEvents;

/// <summary>
/// Why a command is refused: the HTTP status that fits, the field at fault (JSON path), the rule it
/// breaks (a stable code clients can switch on) and a sentence for people.
/// </summary>
public sealed record Refusal(int Status, string Field, string Rule, string Detail)
{
    public static Refusal BadInput(string field, string rule, string detail) => new(400, field, rule, detail);

    public static Refusal Conflict(string field, string rule, string detail) => new(409, field, rule, detail);

    public static Refusal UnknownReference(string field, string rule, string detail) => new(422, field, rule, detail);
}
