using AdoptionEvents.Hosting;
using AdoptionEvents.Hosting.Database;

var builder = WebApplication.CreateBuilder(args);
try
{
    builder.AddAdoptionEvents();
}
catch (StartupConfigurationException refused)
{
    return await Composition.CannotStartAsync(refused.Message);
}

var app = builder.Build();
app.UseAdoptionEvents();

return await app.RunAdoptionEventsAsync(args);

/// <summary>Visible to the Alba test host.</summary>
public partial class Program;
