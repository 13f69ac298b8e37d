using System.Collections.Concurrent;

namespace AdoptionEvents.ReadModels.Building;

/// <summary>
/// Arrays a build reuses from page to page, for one use (a page's rows; one document type's COPY rows). These are
/// megabytes each, rented on one stage's thread and given back on another's: the shared pool kept too few of them
/// per size and per core, and let them go at full collections, so most pages allocated theirs afresh on the large
/// object heap. A pool of its own per use keeps as many as the pipeline holds at once, each as large as that use
/// has needed, for as long as the build runs.
/// </summary>
internal sealed class BufferPool<T>
{
    private readonly ConcurrentStack<T[]> _free = new();

    /// <summary>A free array of at least <paramref name="minimum"/> items, else a new one (twice the size of the one it replaces).</summary>
    public T[] Rent(int minimum)
    {
        if (_free.TryPop(out var array) && array.Length >= minimum)
        {
            return array;
        }

        return new T[Math.Max(minimum, (array?.Length ?? 0) * 2)];
    }

    /// <summary>A larger array holding the first <paramref name="count"/> items of <paramref name="array"/>, which goes back to the pool.</summary>
    public T[] Grow(T[] array, int count, int minimum)
    {
        var larger = Rent(Math.Max(minimum, array.Length * 2));
        array.AsSpan(0, count).CopyTo(larger);
        Return(array);
        return larger;
    }

    public void Return(T[] array)
    {
        if (array.Length > 0)
        {
            _free.Push(array);
        }
    }
}
