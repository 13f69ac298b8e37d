namespace AdoptionEvents.Evaluation;

public static class Configuration
{
    /// <summary>As-of, replay and measures: the journeys' events kept in memory between requests (<see cref="JourneyEvents"/>).</summary>
    public static WebApplicationBuilder AddEvaluation(this WebApplicationBuilder builder)
    {
        var capacity = builder.Configuration.GetValue("Evaluation:CachedEvents", JourneyEvents.DefaultCapacity);
        builder.Services.AddSingleton(new JourneyEvents(Math.Max(capacity, 0)));
        return builder;
    }
}
