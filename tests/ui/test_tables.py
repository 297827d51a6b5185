"""The tables' drawing: cells kept by what they show, redrawn in place as rows move, clicks where they land."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from console.ui.widgets.tables import VimTable

STATUSES = ("completed", "no answer 487", "busy 486", "answered")


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield VimTable(id="t")

    def on_mount(self) -> None:
        table = self.query_one(VimTable)
        for key, width in (("n", 6), ("status", 14), ("profile", 8)):
            table.add_column(key, key=key, width=width)
        for n in range(30):
            self.add(n)

    def add(self, n: int) -> None:
        table = self.query_one(VimTable)
        table.add_row(Text(str(n)), Text(STATUSES[n % len(STATUSES)]), Text("demo"), key=str(n), height=1)
        table.sort("n", key=lambda cell: -int(str(cell)))  # the newest on top, as in the call log


def background(table: VimTable, y: int) -> object:
    strip = table.render_line(y)
    return next(seg.style.bgcolor for seg in strip if seg.style and seg.text.strip())


async def test_cells_that_read_alike_are_drawn_once_and_rows_pushed_down_keep_their_stripe() -> None:
    drawn: list[tuple[int, int]] = []
    draw = DataTable._render_cell

    def counted(self: DataTable, row: int, column: int, *args: object, **kw: object) -> object:
        drawn.append((row, column))
        return draw(self, row, column, *args, **kw)  # type: ignore[arg-type]

    app = TableApp()
    DataTable._render_cell = counted  # type: ignore[method-assign,assignment]
    try:
        async with app.run_test(size=(40, 12)) as pilot:
            table = app.query_one(VimTable)
            await pilot.pause()
            first = len(drawn)
            drawn.clear()
            for n in (30, 31, 32):  # three new rows on top push every row down: the stripes swap
                app.add(n)
            await pilot.pause()
            # the new rows' numbers, the cursor row and the header; every status and profile drawn before
            assert len(drawn) <= 10 < first, (len(drawn), first)
            even = table.get_component_styles("datatable--even-row").rich_style.bgcolor
            odd = table.get_component_styles("datatable--odd-row").rich_style.bgcolor
            assert even != odd
            for index in range(1, 9):  # line 0 is the header; the cursor rests on row 0
                assert table.get_row_at(index)[0].plain == str(32 - index)
                assert background(table, index + 1) == (odd if index % 2 else even), index
    finally:
        DataTable._render_cell = draw  # type: ignore[method-assign]


async def test_a_click_lands_on_the_row_drawn_there_after_new_rows_pushed_it_down() -> None:
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(VimTable)
        await pilot.pause()  # rows 29..19 drawn at lines 1..
        for n in (30, 31, 32):
            app.add(n)
        await pilot.pause()
        await pilot.click(VimTable, offset=(10, 6))  # line 6: row 5, which is now call 27 (drawn before as row 2)
        await pilot.pause()
        assert table.cursor_row == 5
        assert table.get_row_at(table.cursor_row)[0].plain == "27"


async def test_the_sorted_column_shows_its_arrow_even_when_its_label_fills_it() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(VimTable)
        table.columns[table.ordered_columns[0].key].label = Text("n UTC")  # as wide as its column would allow
        table.ordered_columns[0].width = 5
        await pilot.pause()
        await pilot.press("s")  # by the first column
        await pilot.pause()
        assert "n UTC ▲" in table.render_line(0).text
        await pilot.press("s")  # by the next: the first is as narrow as it was, the second shows its arrow
        await pilot.pause()
        header = table.render_line(0).text
        assert "status ▲" in header and "▲" not in header.split("status")[0]
        assert table.ordered_columns[0].width == 5
