"""Writes penguins.csv the way pandas writes a data frame (run by hand; the file is committed, so
the suite needs no pandas): two measurements and a text label, 90 rows, seeded. Gentoo have
shallow bills, Adelie short ones: a small MLP separates the three species."""
import numpy
import pandas

rng = numpy.random.default_rng(4)
species = rng.choice(["Adelie", "Chinstrap", "Gentoo"], 90)
length = numpy.select([species == "Adelie", species == "Chinstrap"], [38, 48], 47) + rng.normal(0, 2, 90)
depth = numpy.where(species == "Gentoo", 15, 18.5) + rng.normal(0, 1, 90)
pandas.DataFrame({"bill_length_mm": length.round(1), "bill_depth_mm": depth.round(1), "species": species}).to_csv(
    "penguins.csv", index=False)
