using AdoptionEvents.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddAdoptionEvents();

var app = builder.Build();
app.UseAdoptionEvents();

return await app.RunAdoptionEventsAsync(args);

/// <summary>Visible to the Alba test host.</summary>
public partial class Program;
