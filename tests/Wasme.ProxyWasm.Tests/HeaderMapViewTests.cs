namespace Wasme.ProxyWasm.Tests;

/// <summary>A map over a data plane's own headers reads them in place, keeps additions beside them, and copies on change.</summary>
public sealed class HeaderMapViewTests
{
    [Fact]
    public void Look_ups_read_the_source_in_place_without_copying_it()
    {
        var source = new ListSource((":path", "/a"), ("accept", "text/html"), ("x-two", "1"), ("x-two", "2"));
        var map = new HeaderMap(source);

        Assert.True(map.TryGetValue("Accept", out var accept));
        Assert.Equal("text/html", accept);
        Assert.True(map.TryGetValue(":path", out var path));
        Assert.Equal("/a", path);
        Assert.False(map.ContainsKey("missing"));
        Assert.Equal(4, map.Count);

        Assert.True(map.IsView);
        Assert.Equal(0, source.Copies);
    }

    [Fact]
    public void Added_entries_follow_the_source_and_change_the_version_without_a_copy()
    {
        var source = new ListSource((":status", "200"), ("content-type", "text/html"));
        var map = new HeaderMap(source);
        var before = map.Version;

        map.Add("Hello", "world");
        map.Add("content-type", "text/plain");

        Assert.True(map.IsView);
        Assert.Equal(0, source.Copies);
        Assert.NotEqual(before, map.Version);
        Assert.Equal(4, map.Count);
        Assert.Equal([new("hello", "world"), new("content-type", "text/plain")], map.Appended.ToArray());
        // The source's value comes first, as the first of two entries does.
        Assert.True(map.TryGetValue("content-type", out var type));
        Assert.Equal("text/html", type);
        Assert.True(map.TryGetValue("hello", out var hello));
        Assert.Equal("world", hello);
    }

    [Fact]
    public void Listing_copies_the_source_in_once_with_additions_after_it()
    {
        var source = new ListSource((":status", "200"), ("content-type", "text/html"));
        var map = new HeaderMap(source);
        map.Add("hello", "world");

        var listed = map.ToList();

        Assert.Equal([new(":status", "200"), new("content-type", "text/html"), new("hello", "world")], listed);
        Assert.False(map.IsView);
        Assert.Empty(map.Appended.ToArray());
        Assert.Equal(3, map.Count);
        _ = map.ToList();
        Assert.Equal(1, source.Copies);
    }

    [Fact]
    public void Replace_and_remove_copy_the_source_in_and_then_apply()
    {
        var source = new ListSource((":path", "/a"), ("x-a", "1"), ("x-b", "2"), ("x-a", "3"));
        var set = new HeaderMap(source);
        set.Set("x-a", "9");
        Assert.Equal([new(":path", "/a"), new("x-a", "9"), new("x-b", "2")], set.ToList());

        var removed = new HeaderMap(new ListSource((":path", "/a"), ("x-a", "1"), ("x-b", "2")));
        Assert.True(removed.Remove("X-A"));
        Assert.Equal([new(":path", "/a"), new("x-b", "2")], removed.ToList());
    }

    [Fact]
    public void Detach_copies_without_counting_as_a_change_and_clear_forgets_the_source()
    {
        var source = new ListSource(("a", "1"));
        var map = new HeaderMap(source);
        var version = map.Version;

        map.Detach();
        Assert.False(map.IsView);
        Assert.Equal(version, map.Version);
        Assert.Equal("a", Assert.Single(map).Key);

        var cleared = new HeaderMap(new ListSource(("a", "1")));
        cleared.Clear();
        Assert.Equal(0, cleared.Count);
        Assert.False(cleared.ContainsKey("a"));
    }

    [Fact]
    public void Look_ups_by_the_guests_bytes_go_to_the_source_in_any_case()
    {
        var map = new HeaderMap(new ListSource(("x-request-id", "id-1")));

        Assert.True(map.TryGetValue("X-Request-ID"u8, out var id));
        Assert.Equal("id-1", id);
        Assert.True(map.IsView);
    }

    /// <summary>A data plane's headers as an ordered list; counts how often it is copied.</summary>
    private sealed class ListSource(params (string Name, string Value)[] entries) : HeaderSource
    {
        public int Copies { get; private set; }

        public override int Count => entries.Length;

        public override bool TryGetValue(string loweredName, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
        {
            foreach (var (name, entry) in entries)
            {
                if (name == loweredName)
                {
                    value = entry;
                    return true;
                }
            }

            value = null;
            return false;
        }

        public override void CopyTo(HeaderMap map)
        {
            Copies++;
            foreach (var (name, value) in entries)
            {
                map.Add(name, value);
            }
        }
    }
}
