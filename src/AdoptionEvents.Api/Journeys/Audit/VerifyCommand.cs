using JasperFx.CommandLine;
using Marten;
using Spectre.Console;

namespace AdoptionEvents.Journeys.Audit;

[Description("Verify the hash chain of every journey and report the first broken link", Name = "verify")]
public sealed class VerifyCommand : JasperFxAsyncCommand<NetCoreInput>
{
    public override async Task<bool> Execute(NetCoreInput input)
    {
        using var host = input.BuildHost();
        var store = host.Services.GetRequiredService<IDocumentStore>();
        await using var session = store.QuerySession();
        var report = await Verification.VerifyAsync(session, await Verification.JourneysAsync(session, CancellationToken.None), CancellationToken.None);
        if (report.Intact)
        {
            AnsiConsole.MarkupLineInterpolated($"[green]Intact:[/] {report.JourneysChecked} journeys, {report.EventsChecked} events.");
            return true;
        }

        foreach (var b in report.Broken)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]Broken[/] journey {b.InnovationId} at version {b.Version} (event {b.EventId}, {b.Type}): {b.Problem}");
        }

        return false;
    }
}
