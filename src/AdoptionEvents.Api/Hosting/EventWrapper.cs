using System.Collections.Concurrent;
using System.Reflection;
using JasperFx.Events;

namespace AdoptionEvents.Hosting;

/// <summary>Marten's event wrapper for a type known only at run time, made without reflection per event.</summary>
public static class EventWrapper
{
    private static readonly ConcurrentDictionary<Type, Func<object, IEvent>> Factories = new();

    /// <summary>A wrapper of <paramref name="data"/>; the caller sets its id, stream, version and the rest.</summary>
    public static IEvent Of(object data) => Factories.GetOrAdd(data.GetType(), t =>
        typeof(EventWrapper).GetMethod(nameof(Create), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(t).CreateDelegate<Func<object, IEvent>>())(data);

    private static Event<T> Create<T>(object data) where T : notnull => new((T)data);
}
