namespace AdoptionEvents.Hosting;

/// <summary>
/// <c>Projections:SkipStuckGapAfter</c>: how long the async daemon holds at a gap in the event sequence while a
/// transaction that might still fill it looks alive, before it passes the gap anyway (Marten's
/// <c>SkipStaleGapsDespiteLiveTransactionsAfter</c>).
/// <para>
/// A gap is a sequence number taken by an append that has not committed, or never will (it rolled back). Marten
/// waits for a gap while any transaction from before it is open in the database, less those it can prove idle since
/// before the gap opened. Its proof needs the moment the store was last caught up, which a daemon started after the
/// gap opened does not have; a session left idle in a transaction (a leaked one, a console left in <c>begin</c>) then
/// holds every async read model still until that session ends. Marten's default is to wait for ever. Here the wait
/// is bounded: an append in this product commits in milliseconds and a bulk import's chunk in seconds, so a gap
/// still open after the cap is one no transaction of this product will fill. An event that does commit in a passed gap is in the store but missing
/// from the async read models until they are rebuilt; Marten logs a warning when it passes one.
/// </para>
/// </summary>
public sealed record StuckGapSkip(TimeSpan? After)
{
    public const string Setting = "Projections:SkipStuckGapAfter";

    /// <summary>The value that keeps Marten's own behaviour: hold while a transaction that may fill the gap is open.</summary>
    public const string Never = "never";

    public static readonly TimeSpan Default = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan Shortest = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan Longest = TimeSpan.FromDays(1);

    public static StuckGapSkip From(IConfiguration configuration) =>
        string.Equals(configuration[Setting]?.Trim(), Never, StringComparison.OrdinalIgnoreCase)
            ? new StuckGapSkip((TimeSpan?)null)
            : new StuckGapSkip(TimeSetting.Read(configuration, Setting, Default, Shortest, Longest,
                $"such as 00:05:00, or '{Never}' to hold at such a gap for as long as the transaction is open"));
}
