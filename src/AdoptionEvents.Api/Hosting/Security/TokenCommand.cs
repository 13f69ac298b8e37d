using AdoptionEvents.Hosting.Database;
using JasperFx.CommandLine;
using Spectre.Console;

namespace AdoptionEvents.Hosting.Security;

public sealed class TokenInput : NetCoreInput
{
    [Description("The role: reader, site_recorder, programme_lead, integrator or admin")]
    public string RoleFlag { get; set; } = Roles.Reader;

    [Description("Organisation ids the token speaks for (comma-separated; a site recorder writes only for these)")]
    public string OrganisationFlag { get; set; } = "";

    [Description("The user named in the token and in the events it records")]
    public string NameFlag { get; set; } = "developer";

    [Description("Hours until the token expires")]
    public int HoursFlag { get; set; } = 8;
}

[Description("Print a development token (signed with Authentication:DevelopmentSigningKey); refused in Production", Name = "token")]
public sealed class TokenCommand : JasperFxCommand<TokenInput>
{
    public override bool Execute(TokenInput input)
    {
        if (!Roles.All.Contains(input.RoleFlag))
        {
            AnsiConsole.MarkupLineInterpolated($"[red]Unknown role {input.RoleFlag}: one of {string.Join(", ", Roles.All)}[/]");
            return false;
        }

        var organisations = new List<Guid>();
        foreach (var text in input.OrganisationFlag.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Guid.TryParse(text, out var id))
            {
                AnsiConsole.MarkupLineInterpolated($"[red]--organisation takes organisation ids (GUIDs); got {text}[/]");
                return false;
            }

            organisations.Add(id);
        }

        using var host = input.BuildHost();
        DevelopmentTokens? tokens;
        try
        {
            tokens = DevelopmentTokens.Resolve(host.Services.GetRequiredService<IConfiguration>(), host.Services.GetRequiredService<IHostEnvironment>());
        }
        catch (StartupConfigurationException e)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{e.Message}[/]");
            return false;
        }

        if (tokens is null)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]No development signing key: set {DevelopmentTokens.Setting} (outside Production), or run in Development without Authentication:Authority.[/]");
            return false;
        }

        var now = TimeProvider.System.GetUtcNow();
        Console.WriteLine(tokens.Mint(input.NameFlag, [input.RoleFlag], organisations, now, TimeSpan.FromHours(input.HoursFlag)));
        return true;
    }
}
