from keranjang.cli import app

app(prog_name="keranjang")
