"""The shipped WordNet word -> ImageNet classes asset, query words and the conjunction."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import CALTECH

from cbir_desktop.engine.models.runner import OnnxRunner
from cbir_desktop.engine.search.phrases import conjunction, content_words
from cbir_desktop.engine.words.hierarchy import WordClasses

MODELS = Path(__file__).resolve().parents[2] / "models"


@pytest.fixture(scope="module")
def classes() -> WordClasses:
    return WordClasses.load(MODELS / "word_classes.npz")


@pytest.fixture(scope="module")
def index_of() -> dict[str, int]:
    """ImageNet class index by readable name."""
    listed = json.loads((MODELS / "imagenet_classes.json").read_text())["classes"]
    return {c["name"]: int(c["index"]) for c in listed}


def test_dog_covers_the_dog_breeds(classes: WordClasses, index_of: dict[str, int]) -> None:
    dog = classes.of("dog")
    assert dog is not None and len(dog.classes) >= 100  # ImageNet has 118 breeds of dog
    found = set(dog.classes.tolist())
    for breed in ("golden retriever", "dalmatian", "beagle", "pug"):
        assert index_of[breed] in found, breed
    assert index_of["tabby cat"] not in found and index_of["fire truck"] not in found


def test_plurals_and_irregular_plurals_are_their_nouns(classes: WordClasses) -> None:
    dog, dogs = classes.of("dog"), classes.of("dogs")
    assert dog is not None and dogs is not None
    assert dogs.word == "dog" and np.array_equal(dog.classes, dogs.classes)
    assert classes.lemma("geese") == "goose"
    assert classes.lemma("buses") == "bus"
    assert classes.lemma("golden retrievers") == "golden retriever"
    assert classes.of("qwertyuiop") is None


def test_compound_names_are_their_class(classes: WordClasses, index_of: dict[str, int]) -> None:
    retriever = classes.of("golden retriever")
    assert retriever is not None and retriever.classes.tolist() == [index_of["golden retriever"]]
    truck = classes.of("fire truck")
    assert truck is not None and index_of["fire truck"] in truck.classes.tolist()
    assert "golden retriever" in classes.compounds


def test_crocodile_and_broad_words(classes: WordClasses, index_of: dict[str, int]) -> None:
    crocodile = classes.of("crocodile")
    assert crocodile is not None and index_of["Nile crocodile"] in crocodile.classes.tolist()
    vehicle, food = classes.of("vehicle"), classes.of("food")
    assert vehicle is not None and index_of["fire truck"] in vehicle.classes.tolist()
    assert food is not None and index_of["pizza"] in food.classes.tolist()


def test_a_word_just_outside_the_hierarchy_borrows_a_near_one_weighted_down(classes: WordClasses) -> None:
    """"sunflower" has no ImageNet class: it borrows its near relatives' ("daisy"), at less weight."""
    sunflower = classes.of("sunflower")
    assert sunflower is not None and 0 < float(sunflower.weights.max()) < 1.0


def test_the_head_gives_the_models_classes_from_stored_unit_features() -> None:
    """The catalogue keeps unit features; the shipped head (weights scaled by the features'
    mean norm) puts the model's own top class first and sums to 1."""
    from PIL import Image

    model = OnnxRunner(MODELS / "efficientnet_lite0.onnx", 1, providers=("CPUExecutionProvider",))
    head = OnnxRunner(MODELS / "imagenet_head.onnx", 1, providers=("CPUExecutionProvider",))
    photos = [CALTECH / "dalmatian/image_0001.jpg", CALTECH / "strawberry/image_0001.jpg",
              CALTECH / "grand_piano/image_0001.jpg"]
    batch = np.stack([np.asarray(Image.open(p).convert("RGB").resize((224, 224)), np.float32).transpose(2, 0, 1)
                      for p in photos]) / 255.0
    features, logits = model.run(["features", "logits"], {"image": batch.astype(np.float32)})
    unit = features / np.linalg.norm(features, axis=1, keepdims=True)
    probabilities = head.run(["probabilities"], {"features": unit.astype(np.float32)})[0]
    assert probabilities.shape == (3, 1000)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
    assert probabilities.argmax(axis=1).tolist() == logits.argmax(axis=1).tolist()


def test_content_words_keep_compounds_and_drop_stop_words(classes: WordClasses) -> None:
    is_compound = classes.compounds.__contains__
    assert content_words("dog on the beach", is_compound) == ["dog", "beach"]
    assert content_words("a golden retriever with a fire truck", is_compound) == ["golden retriever", "fire truck"]
    assert content_words("Car and person", is_compound) == ["car", "person"]
    assert content_words("the", is_compound) == ["the"]


def test_the_conjunction_needs_every_word_where_the_average_does_not() -> None:
    """Photo 0 is all dog and no beach, photo 1 some of each, photo 2 neither: the mean of the
    two words' scores puts photo 0 first, the conjunction photo 1."""
    dog = np.array([0.95, 0.6, 0.1, 0.2, 0.15], np.float32)
    beach = np.array([0.2, 0.5, 0.1, 0.15, 0.2], np.float32)
    assert int(np.argmax((dog + beach) / 2)) == 0
    combined = conjunction([dog, beach])
    assert int(np.argmax(combined)) == 1
    assert combined[0] > combined[2]  # one word of two still beats none
    assert np.array_equal(conjunction([dog]), dog)
