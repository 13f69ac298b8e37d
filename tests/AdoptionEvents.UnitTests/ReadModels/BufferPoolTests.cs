using AdoptionEvents.ReadModels.Building;

namespace AdoptionEvents.UnitTests.ReadModels;

public class BufferPoolTests
{
    [Fact]
    public void An_array_given_back_is_rented_again_while_it_is_large_enough_and_replaced_by_a_larger_one_when_it_is_not()
    {
        var pool = new BufferPool<byte>();
        var first = pool.Rent(100);
        first.Length.ShouldBe(100);

        pool.Return(first);
        pool.Rent(80).ShouldBeSameAs(first);

        pool.Return(first);
        var larger = pool.Rent(150);
        larger.ShouldNotBeSameAs(first);
        larger.Length.ShouldBe(200, "twice the array it replaces, so a growing use settles after a few pages");
    }

    [Fact]
    public void Growing_keeps_what_was_written_and_gives_the_smaller_array_back()
    {
        var pool = new BufferPool<int>();
        var small = pool.Rent(4);
        small[0] = 7;
        small[1] = 8;
        small[2] = 9;

        var grown = pool.Grow(small, count: 3, minimum: 5);

        grown.Length.ShouldBeGreaterThanOrEqualTo(8);
        grown[..3].ShouldBe([7, 8, 9]);
        pool.Rent(4).ShouldBeSameAs(small);
    }
}
