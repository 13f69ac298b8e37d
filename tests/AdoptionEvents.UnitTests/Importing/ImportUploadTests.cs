using AdoptionEvents.Importing;

namespace AdoptionEvents.UnitTests.Importing;

public sealed class ImportUploadTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"adoption-events-upload-tests-{Guid.NewGuid():N}");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] Content(int length) => [.. Enumerable.Range(0, length).Select(i => (byte)(i % 251))];

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_spooled_upload_reads_back_byte_for_byte_and_its_file_goes_when_it_is_disposed()
    {
        var content = Content(300_000);

        var upload = (await ImportUpload.SpoolAsync(new MemoryStream(content), _directory, 300_000, Ct)).ShouldNotBeNull();

        upload.Length.ShouldBe(300_000);
        Directory.GetFiles(_directory).Length.ShouldBe(1);
        using (var read = upload.Open())
        using (var copy = new MemoryStream())
        {
            await read.CopyToAsync(copy, Ct);
            copy.ToArray().ShouldBe(content);
        }

        upload.Dispose();
        Directory.GetFiles(_directory).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_body_one_byte_over_the_limit_is_refused_and_leaves_no_file()
    {
        var upload = await ImportUpload.SpoolAsync(new MemoryStream(Content(70_001)), _directory, 70_000, Ct);

        upload.ShouldBeNull();
        Directory.GetFiles(_directory).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_read_that_fails_half_way_leaves_no_file()
    {
        await Should.ThrowAsync<IOException>(() => ImportUpload.SpoolAsync(new FailingStream(Content(100_000)), _directory, 1_000_000, Ct));

        Directory.GetFiles(_directory).ShouldBeEmpty();
    }

    [Fact]
    public async Task Bytes_in_memory_are_read_as_they_are_and_leave_nothing_to_delete()
    {
        var content = Content(1_000);
        using var upload = ImportUpload.Of(content);

        using var read = upload.Open();
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy, Ct);

        upload.Length.ShouldBe(1_000);
        copy.ToArray().ShouldBe(content);
    }

    [Fact]
    public async Task Leftover_uploads_older_than_the_cut_are_deleted_and_newer_ones_and_other_files_kept()
    {
        using var fresh = (await ImportUpload.SpoolAsync(new MemoryStream(Content(10)), _directory, 100, Ct)).ShouldNotBeNull();
        // What a process that stopped before running its job leaves behind, two days ago.
        var leftover = Path.Combine(_directory, $"import-{Guid.NewGuid():N}.upload");
        var other = Path.Combine(_directory, "notes.txt");
        foreach (var file in new[] { leftover, other })
        {
            await File.WriteAllTextAsync(file, "left behind", Ct);
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddDays(-2));
        }

        var deleted = ImportUpload.DeleteLeftovers(_directory, DateTimeOffset.UtcNow.AddDays(-1));

        deleted.ShouldBe(1);
        File.Exists(leftover).ShouldBeFalse();
        File.Exists(other).ShouldBeTrue();
        Directory.GetFiles(_directory, "*.upload").Length.ShouldBe(1, "the fresh upload stays");
        ImportUpload.DeleteLeftovers(Path.Combine(_directory, "missing"), DateTimeOffset.UtcNow).ShouldBe(0);
    }

    /// <summary>A connection that drops after its first 64 KiB.</summary>
    private sealed class FailingStream(byte[] content) : MemoryStream(content)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Position >= 1 << 16 ? throw new IOException("the connection dropped") : base.ReadAsync(buffer, cancellationToken);
    }
}
