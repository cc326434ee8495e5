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

# penguins-mixed.csv: the columns users' tables have beside measurements, as pandas writes them with
# Windows line endings: a category column (island; one name holds a comma, so pandas quotes it), a
# boolean column (pandas writes True/False), and missing cells (NaN and None, which pandas writes
# as empty cells) in a number, a boolean and a category column.
island = numpy.where(
    species == "Gentoo", "Biscoe",
    numpy.where(species == "Chinstrap", "Dream", rng.choice(["Biscoe", "Dream", "Torgersen, south"], 90)))
sex = rng.choice(["MALE", "FEMALE"], 90).astype(object)
sex[rng.random(90) < 0.1] = None
tagged = (rng.random(90) < 0.5).astype(object)
tagged[rng.random(90) < 0.1] = None
length_with_gaps = length.round(1)
length_with_gaps[rng.random(90) < 0.1] = numpy.nan
pandas.DataFrame({
    "bill_length_mm": length_with_gaps, "island": island, "bill_depth_mm": depth.round(1), "sex": sex,
    "tagged": tagged, "species": species,
}).to_csv("penguins-mixed.csv", index=False, lineterminator="\r\n")
