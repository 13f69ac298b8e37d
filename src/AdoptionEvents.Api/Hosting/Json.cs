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

        // Read-only from the start, with the default resolver, so its types' metadata can be read (the fields a correction may name).
        options.MakeReadOnly(populateMissingResolver: true);
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

    /// <summary>
    /// The store's shape: as <see cref="Configure"/>, but members marked <see cref="StoredApartAttribute"/> are
    /// never written (they are still read, so a document stored before a member moved out loads).
    /// </summary>
    public static void ConfigureStore(JsonSerializerOptions options)
    {
        Configure(options);
        options.TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { LeaveOutStoredApart } };
    }

    private static void LeaveOutStoredApart(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        foreach (var property in info.Properties)
        {
            if (property.AttributeProvider?.IsDefined(typeof(StoredApartAttribute), inherit: true) == true)
            {
                property.ShouldSerialize = static (_, _) => false;
            }
        }
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

/// <summary>
/// A member that answers and in-memory folds carry, but that the document declaring it does not store:
/// it is kept in documents of its own, so the declaring document stays small (see <see cref="Json.ConfigureStore"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class StoredApartAttribute : Attribute;
