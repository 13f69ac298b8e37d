using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using AdoptionEvents.Journeys;

namespace AdoptionEvents.Hosting;

/// <summary>
/// One JSON shape for HTTP and for the store: camelCase, enums as snake_case strings, unknown members
/// refused. Over HTTP a journey fact names its kind in "type" (the stored event name).
/// </summary>
public static class Json
{
    /// <summary>The shared shape for code that serialises concrete types itself (hashes, stored answers).</summary>
    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Configure(options);
        return options;
    }

    public static void Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DictionaryKeyPolicy = null;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
    }

    /// <summary>HTTP only: "type" picks the concrete fact; the store keeps the type in its own column.</summary>
    public static void ConfigureHttp(JsonSerializerOptions options)
    {
        Configure(options);

        // Requests must say what they mean: a missing non-nullable member is a 400, not a default.
        options.RespectRequiredConstructorParameters = true;
        options.RespectNullableAnnotations = true;
        options.AllowOutOfOrderMetadataProperties = true;
        options.TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { JourneyEventPolymorphism } };
    }

    private static void JourneyEventPolymorphism(JsonTypeInfo info)
    {
        if (info.Type != typeof(JourneyEvent))
        {
            return;
        }

        info.PolymorphismOptions = new JsonPolymorphismOptions
        {
            TypeDiscriminatorPropertyName = "type",
            UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization,
        };
        foreach (var entry in EventCatalogue.Entries)
        {
            info.PolymorphismOptions.DerivedTypes.Add(new JsonDerivedType(entry.Type, entry.Name));
        }
    }
}
